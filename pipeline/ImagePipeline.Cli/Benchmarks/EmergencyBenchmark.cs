using System.Diagnostics;
using System.Text.Json.Nodes;
using CliWrap.Buffered;
using ImagePipeline.Cli.Demo;
using ImagePipeline.Server.State;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench emergency</c>: an emergency patch from commit to fleet, on the lab the demo
/// uses (six machines, three variants, two racks), with a repository of its own
/// (DATA/bench/emergency-recipes) holding the tiny example. First the peer: a regular commit, its
/// run on the full matrix, approval and rollout (1+2+3, 5 s bake), measured from the commit to
/// the last machine healthy. Then, timed the same way: a
/// commit that adds one package to the recipe, its emergency rebuild (critical queue, fresh base,
/// smoke profiles), an emergency promotion and approval, and a rollout on the emergency plan. Each
/// stage's wall time, each wave's, and the total from the commit to the last machine healthy
/// (not to the rollout's completion, which waits for the last wave's bake), against the regular
/// path of the same run measured the same way. The seed names this as the image model's weak spot;
/// the figure is the baseline later work must cut.
/// </summary>
public static class EmergencyBenchmark
{
    /// <summary>The package the commit adds: small, its own files only, in every Debian mirror.</summary>
    private const string Package = "xxd";
    /// <summary>The second patch's package, for the in-place path: as small.</summary>
    private const string SecondPackage = "dos2unix";
    private const string Source = "bench-emergency";
    private const string Recipe = "bench-tiny";

    public static async Task<int> RunAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        // Its own source and recipe beside the demo's on the same server (names are unique there), kept in DATA/bench;
        // each run starts from the example as it is, so the commit always adds the package.
        var repository = await DemoRepository.EnsureAsync(Path.Combine(dataDirectory, "bench", "emergency-recipes"), cancellationToken, Recipe);
        await using var pipeline = await LabPipeline.StartAsync(dataDirectory, new PipelineRecipes(Source, repository, Recipe), $"http://127.0.0.1:{FreePort()}", "bench-emergency", Say, cancellationToken);
        if (pipeline is null)
            return ExitCodes.Failed;

        Say($"the peer: a regular commit to {Recipe} (the tiny example) through the regular path (run on the full matrix, approval, rollout 1+2+3), commit to last machine healthy");
        var regular = Stopwatch.StartNew();
        await CommitAsync(repository, await ChangedAsync("regular change", null, cancellationToken), "a regular change", cancellationToken);
        var baseline = await pipeline.RunAsync(null, null, cancellationToken);
        if (ImageOf(baseline) is not { } production || !await pipeline.ApproveAsync(production, autoApprove: true, emergency: false, cancellationToken))
            return Refused($"the regular run ended {baseline["state"]}: {baseline["error"]}");
        // The machines' registration is set-up, not part of either path.
        regular.Stop();
        await pipeline.RegisterMachinesAsync(cancellationToken);
        regular.Start();
        var regularWaves = new WaveClock(regular);
        if (!Completed(await pipeline.RollOutAsync(production, emergency: false, regularWaves.Look, cancellationToken)))
            return Refused("the regular rollout did not complete");
        var regularSeconds = regularWaves.LastHealthy;

        Say($"the emergency, reimaged: a commit adds the package {Package} to {Recipe} (the tiny example), then an emergency rebuild, approval and rollout");
        if (await EmergencyAsync(pipeline, repository, [Package], inPlace: false, cancellationToken) is not { } reimagedPath)
            return ExitCodes.Failed;
        var (reimaged, reimagedWaves) = reimagedPath;
        Say($"the emergency, in place: a commit adds {SecondPackage} too; the same path, with the rollout in mode in-place (the machines run A/B slots)");
        if (await EmergencyAsync(pipeline, repository, [Package, SecondPackage], inPlace: true, cancellationToken) is not { } inPlacePath)
            return ExitCodes.Failed;

        var (inPlace, inPlaceWaves) = inPlacePath;
        BenchTable.Header();
        BenchTable.Row("emergency patch, commit → 6 machines healthy", $"{reimaged:0} s", $"{regularSeconds:0} s", regularSeconds / reimaged,
            "baseline to cut (vs the regular path, same run)");
        BenchTable.Row("emergency patch in place vs reimaged, commit → 6 healthy", $"{inPlace:0} s", $"{reimaged:0} s", reimaged / inPlace,
            "≥ 3× (in place vs reimage, same run)");
        // The same two rollouts without the plan's bakes (equal in both, and most of either total):
        // what the machines themselves took, wave by wave, from the first of a wave leaving pending
        // to the last of it healthy.
        BenchTable.Row("the same, the waves' own time (bakes left out)", $"{inPlaceWaves:0} s", $"{reimagedWaves:0} s", reimagedWaves / inPlaceWaves,
            "what in place saves per wave");
        return ExitCodes.Success;
    }

    /// <summary>An emergency patch adding <paramref name="packages"/>: commit, emergency rebuild, approval, rollout on the emergency plan; its stages printed; seconds from the commit to the last machine healthy and the waves' own seconds (bakes left out), or null (said why).</summary>
    private static async Task<(double Total, double Waves)?> EmergencyAsync(LabPipeline pipeline, string repository, IReadOnlyList<string> packages, bool inPlace, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        await CommitAsync(repository, await ChangedAsync("emergency patch", packages, cancellationToken), $"add {string.Join(", ", packages)} (emergency)", cancellationToken);
        var stages = new List<(string Stage, double Seconds)>();
        var entered = new Dictionary<string, double>();
        var run = await pipeline.RunAsync($"bench: {string.Join(", ", packages)} added to {Recipe}", state => entered.TryAdd(state, total.Elapsed.TotalSeconds), cancellationToken);
        var ended = total.Elapsed.TotalSeconds;
        if (ImageOf(run) is not { } patched || run["state"]!.GetValue<string>() != "candidate")
            return Failed($"the emergency rebuild ended {run["state"]}: {run["error"]}");
        var validating = entered.GetValueOrDefault("validating", ended);
        stages.Add(("build (commit → built)", validating));
        stages.Add(("validate (smoke profiles)", ended - validating));

        var approving = total.Elapsed.TotalSeconds;
        if (!await pipeline.ApproveAsync(patched, autoApprove: true, emergency: true, cancellationToken))
            return Failed("the emergency promotion was not approved");
        stages.Add(("approve (emergency, one approver)", total.Elapsed.TotalSeconds - approving));

        var rolling = total.Elapsed.TotalSeconds;
        var waves = new WaveClock(total);
        var rollout = await pipeline.RollOutAsync(patched, emergency: true, waves.Look, cancellationToken, inPlace ? BootService.Contract.DeployModes.InPlace : null);
        if (!Completed(rollout))
            return Failed($"the emergency rollout{(inPlace ? " in place" : "")} ended {rollout["state"]}: {rollout["reason"]}");
        foreach (var (wave, started, finished, machines) in waves.Waves)
            stages.Add(($"{(wave == 0 ? "canary" : $"wave {wave}")} ({machines} machines)", finished - started));
        var totalSeconds = waves.LastHealthy;
        var waveSeconds = waves.Waves.Sum(w => w.Finished - w.Started);
        stages.Add(($"rollout{(inPlace ? " in place" : "")} (start → last machine healthy)", totalSeconds - rolling));

        Console.WriteLine();
        Console.WriteLine($"{(inPlace ? "stage (in place)" : "stage (reimaged)"),-40} {"seconds",8}");
        foreach (var (stage, seconds) in stages)
            Console.WriteLine($"{stage,-40} {seconds,8:0.0}");
        Console.WriteLine($"{"total: commit → last machine healthy",-40} {totalSeconds,8:0.0}");
        return (totalSeconds, waveSeconds);
    }

    /// <summary>
    /// The example with a dated line in the image (each run's change is a new image, as every real
    /// one is: the regular run then validates on the full matrix, not "unchanged"), and for the
    /// emergency, <paramref name="package"/> added.
    /// </summary>
    private static async Task<string> ChangedAsync(string what, IReadOnlyList<string>? packages, CancellationToken cancellationToken)
    {
        var recipe = (await DemoRepository.ExampleAsync(Recipe, cancellationToken))
            .Replace("files:\n", $"files:\n  - path: /etc/imagepipeline-change\n    content: \"{what} {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}\\n\"\n", StringComparison.Ordinal)
            // A/B slots, so the last patch can go in place; the regular and reimaged paths write the whole disk as before.
            .Replace("esp: 64MiB }", "esp: 64MiB, slots: ab }", StringComparison.Ordinal);
        return packages is null ? recipe : recipe.Replace("base: busybox\n", $"base: busybox\npackages: [{string.Join(", ", packages)}]\n", StringComparison.Ordinal);
    }

    /// <summary>The recipe as <paramref name="text"/>, committed (nothing when it is so already).</summary>
    private static async Task CommitAsync(string repository, string text, string message, CancellationToken cancellationToken)
    {
        var recipe = Path.Combine(repository, "recipes", $"{Recipe}.yaml");
        if (await File.ReadAllTextAsync(recipe, cancellationToken) == text)
            return;
        await File.WriteAllTextAsync(recipe, text, cancellationToken);
        foreach (var arguments in new[] { new[] { "add", "-A" },
                     ["-c", "user.name=imagepipe bench", "-c", "user.email=bench@imagepipeline.invalid", "commit", "--quiet", "-m", $"{Recipe}: {message}"] })
            await CliWrap.Cli.Wrap("git").WithArguments(["-C", repository, .. arguments]).ExecuteBufferedAsync(cancellationToken);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? ImageOf(JsonNode run) =>
        run["state"]!.GetValue<string>() is "candidate" or "unchanged" ? run["imageId"]?.GetValue<string>() : null;

    private static bool Completed(JsonNode rollout) => rollout["state"]!.GetValue<string>() == "completed";

    private static int Refused(string why)
    {
        Failed(why);
        return ExitCodes.Failed;
    }

    private static (double Total, double Waves)? Failed(string why)
    {
        Console.Error.WriteLine($"bench emergency: {why}");
        return null;
    }

    private static void Say(string line) => Console.WriteLine($"bench emergency: {line}");

    /// <summary>When each wave began (a machine of it left pending) and ended (all its machines healthy), from the rollout as it is looked at.</summary>
    private sealed class WaveClock(Stopwatch clock)
    {
        private readonly SortedDictionary<int, (double Started, double? Finished, int Machines)> waves = [];

        /// <summary>When the last machine of the last wave was seen healthy (the rollout completes only after that wave's bake).</summary>
        public double LastHealthy => Waves.Max(w => w.Finished);

        public IEnumerable<(int Wave, double Started, double Finished, int Machines)> Waves =>
            waves.Select(w => (w.Key, w.Value.Started, w.Value.Finished ?? clock.Elapsed.TotalSeconds, w.Value.Machines));

        public void Look(JsonNode rollout)
        {
            var now = clock.Elapsed.TotalSeconds;
            foreach (var wave in rollout["targets"]!.AsArray().GroupBy(t => t!["wave"]!.GetValue<int>()))
            {
                var states = wave.Select(t => RolloutProgress.StateOf(t!)).ToList();
                if (states.All(s => s == TargetState.Pending))
                    continue;
                var (started, finished, _) = waves.GetValueOrDefault(wave.Key, (now, null, states.Count));
                waves[wave.Key] = (started, finished ?? (states.All(s => s == TargetState.Healthy) ? now : null), states.Count);
            }
        }
    }
}
