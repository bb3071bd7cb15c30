using System.CommandLine;
using System.Diagnostics;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Cli.Output;
using ImagePipeline.Recipes;
using ImagePipeline.Validation.Running;

namespace ImagePipeline.Cli.Verbs;

/// <summary><c>imagepipe bench NAME</c>: measured figures, each against a peer or a limit measured in the same run.</summary>
public static class BenchVerb
{
    public static Command Create()
    {
        var build = new Command("build", "Cold vs warm (one files: entry changed) build of debian-web; goal: warm at least 10x faster. Then the same image with a squashfs and an erofs root: build time and shipped size against ext4.");
        var recipeOption = new Option<string?>("--recipe") { Description = "recipe to measure (default recipes/examples/debian-web.yaml)" };
        build.Options.Add(recipeOption);
        build.SetAction(async (parse, cancellationToken) => await BuildAsync(parse.GetValue(recipeOption) ?? RepositoryPaths.Example("debian-web"), cancellationToken));
        var validate = new Command("validate", "Wall time of the tiny example's four-profile matrix against the limit: one VM's boot alone, times the rounds the cores allow. Then debian-web with an ext4, a squashfs and an erofs+verity root on bios-virtio: boot to ready and the recipe's checks, each against ext4.");
        var validateData = new Option<string?>("--data") { Description = "data directory whose cache the debian-web builds use (default ./data or $IMAGEPIPE_DATA)" };
        validate.Options.Add(validateData);
        validate.SetAction(async (parse, cancellationToken) => await ValidateAsync(DataDirectory.Resolve(parse.GetValue(validateData)), cancellationToken));
        var tftp = new Command("tftp", "A 64 MiB file over loopback: our TFTP server (windowsize 16) vs tftpd-hpa; goal >= 1.0x.");
        tftp.SetAction(async (_, cancellationToken) => await Benchmarks.TftpBenchmark.RunAsync(cancellationToken));
        var http = new Command("http", "A 1 GiB image over loopback: the boot service's HTTP vs nginx; goal >= 0.8x.");
        http.SetAction(async (_, cancellationToken) => await Benchmarks.HttpBenchmark.RunAsync(cancellationToken));
        var bootstorm = new Command("bootstorm", "N simulated machines netboot at once through imagepipe bootsvc: DHCP, script, kernel, initrd; goal 0 errors at 500.");
        var clients = new Option<int>("--clients") { Description = "machines in the storm", DefaultValueFactory = _ => 500 };
        bootstorm.Options.Add(clients);
        bootstorm.SetAction(async (parse, cancellationToken) => await Benchmarks.BootstormBenchmark.RunAsync(parse.GetValue(clients), cancellationToken));
        var write = new Command("write", "The agent writes a 2 GiB zstd image to a file and a loop device, vs dd of the raw image and curl|zstd|dd; peak RSS.");
        write.SetAction(async (_, cancellationToken) => await Benchmarks.WriteBenchmark.RunAsync(cancellationToken));
        var jobs = new Command("jobs", "Hangfire on the embedded SQLite store and on PostgreSQL: enqueue-to-start latency and throughput of empty jobs, against Hangfire's in-memory storage (no database: the limit).");
        var jobsDatabase = new Option<string?>("--database") { Description = "a PostgreSQL to measure (connection string); default: a throwaway local container (needs Docker)" };
        jobs.Options.Add(jobsDatabase);
        jobs.SetAction(async (parse, cancellationToken) => await Benchmarks.JobsBenchmark.RunAsync(parse.GetValue(jobsDatabase), cancellationToken));
        var fleet = new Command("fleet", "tiny deployed to four mixed lab machines through the boot service and Redfish, against one machine alone times the rounds the cores allow; goal < 3 min.");
        var fleetData = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        fleet.Options.Add(fleetData);
        fleet.SetAction(async (parse, cancellationToken) => await Benchmarks.FleetBenchmark.RunAsync(DataDirectory.Resolve(parse.GetValue(fleetData)), cancellationToken));
        var rollout = new Command("rollout", "Plan and drive a rollout over 100,000 simulated machines (simulated agents, no VMs): time to plan, time per wave decision against one bare pass, memory.");
        var rolloutMachines = new Option<int>("--machines") { Description = "simulated machines", DefaultValueFactory = _ => 100_000 };
        rollout.Options.Add(rolloutMachines);
        rollout.SetAction(async (parse, _) => await Benchmarks.RolloutBenchmark.RunAsync(parse.GetValue(rolloutMachines)));
        var emergency = new Command("emergency", "An emergency patch on the six-machine lab with tiny in production: a commit adding one package, emergency rebuild (smoke profiles), emergency approval, rollout on the emergency plan; each stage's wall time and the total from commit to the last machine healthy, against the regular path in the same run.");
        var emergencyData = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        emergency.Options.Add(emergencyData);
        emergency.SetAction(async (parse, cancellationToken) => await Benchmarks.EmergencyBenchmark.RunAsync(DataDirectory.Resolve(parse.GetValue(emergencyData)), cancellationToken));
        var delta = new Command("delta", "A one-package update of debian-web onto a disk holding the previous build: bytes moved and apply time of the agent's delta write, against the whole image, the zstd stream and casync (make + extract --seed over HTTP). Goals: at most 10% of the image moved, apply no slower than casync.");
        var deltaData = new Option<string?>("--data") { Description = "data directory whose cache the two builds use (default ./data or $IMAGEPIPE_DATA)" };
        delta.Options.Add(deltaData);
        delta.SetAction(async (parse, cancellationToken) => await Benchmarks.DeltaBenchmark.RunAsync(DataDirectory.Resolve(parse.GetValue(deltaData)), cancellationToken));
        var scale = new Command("scale", "A rollout over simulated machines through the real system: the server on PostgreSQL (a local container), one boot service process per site (4), machines registered in one request, simulated agents over real HTTP; at 1,000 and 10,000 machines. Goals at 10,000: added wall time < 5% of the machines' own, wave decision p99 < 1 s, server peak memory < 1 GiB, no HTTP error.");
        var scaleSizes = new Option<int[]>("--machines") { Description = "fleet sizes to run, one after the other", DefaultValueFactory = _ => [1_000, 10_000], AllowMultipleArgumentsPerToken = true };
        scale.Options.Add(scaleSizes);
        scale.SetAction(async (parse, cancellationToken) => await Benchmarks.ScaleBenchmark.RunAsync(parse.GetValue(scaleSizes)!, cancellationToken));
        var all = new Command("all", "Every benchmark above, one after the other, then one table: metric, ours, peer or limit, ratio, goal.");
        var seed = new Command("seed", "The seed's claim: one lab machine from power-on to debian-web healthy, by image and by deploy-time install (partition, the same package set from a local mirror, the same configuration, boot loader); each phase, bytes over the network, the ratio. Goal: the image at least 5x faster.");
        var seedData = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        seed.Options.Add(seedData);
        seed.SetAction(async (parse, cancellationToken) => await Benchmarks.SeedBenchmark.RunAsync(DataDirectory.Resolve(parse.GetValue(seedData)), cancellationToken));

        var allData = new Option<string?>("--data") { Description = "data directory for the validate, delta, fleet, emergency and seed benchmarks (default ./data or $IMAGEPIPE_DATA)" };
        all.Options.Add(allData);
        all.SetAction(async (parse, cancellationToken) => await Benchmarks.AllBenchmarks.RunAsync(parse.GetValue(allData), cancellationToken));
        return new Command("bench", "Run a benchmark and print its ratio against the peer or limit.") { build, validate, tftp, http, bootstorm, write, delta, jobs, fleet, rollout, scale, emergency, seed, all };
    }

    private static async Task<int> BuildAsync(string recipePath, CancellationToken cancellationToken)
    {
        // A private data directory: cold means nothing cached, not even the base.
        var scratch = Directory.CreateTempSubdirectory("imagepipe-bench-build-").FullName;
        try
        {
            var recipeDir = Path.Combine(scratch, "recipe");
            CopyDirectory(Path.GetDirectoryName(Path.GetFullPath(recipePath))!, recipeDir);
            var recipeCopy = Path.Combine(recipeDir, Path.GetFileName(recipePath));
            var options = new BuildOptions { DataDirectory = Path.Combine(scratch, "data") };
            using var observer = new ConsoleBuildObserver(Console.Out);

            Console.WriteLine("cold build (empty cache):");
            BuildResult? ext4 = null;
            var cold = await TimeAsync(async () => ext4 = await new ImageBuilder(options, observer).BuildAsync(RecipeParser.Load(recipeCopy), cancellationToken));

            // The warm case operators hit all day: one file in the image changed.
            var changed = RecipeParser.Load(recipeCopy);
            changed = changed with { Files = [.. changed.Files, new RecipeFile("/etc/imagepipeline/bench-change", $"{Guid.NewGuid()}\n", null, 0b110_100_100)] };
            Console.WriteLine("warm build (one files: entry changed):");
            var warm = await TimeAsync(() => new ImageBuilder(options, observer).BuildAsync(changed, cancellationToken));

            // The same image with each read-only root (the base cached, as for a recipe that switches):
            // the stages that differ (rootfs: the initramfs rebuilt; disk; formats) and the bytes shipped.
            var roots = new List<(string Root, BuildResult Result)>();
            foreach (var root in new[] { RootFilesystem.Squashfs, RootFilesystem.Erofs })
            {
                var recipe = RecipeParser.Load(recipeCopy);
                recipe = recipe with { Disk = recipe.Disk with { Root = root, GrowRoot = false } };
                Console.WriteLine($"{root.ToString().ToLowerInvariant()} root (base cached):");
                roots.Add((root.ToString().ToLowerInvariant(), await new ImageBuilder(options, observer).BuildAsync(recipe, cancellationToken)));
            }

            var ratio = cold.TotalSeconds / warm.TotalSeconds;
            var name = Path.GetFileNameWithoutExtension(recipePath);
            Benchmarks.BenchTable.Header();
            Benchmarks.BenchTable.Row($"build warm vs cold ({name})", Seconds(warm.TotalSeconds), Seconds(cold.TotalSeconds), ratio, ">= 10x");
            var ext4Seconds = ImageStagesSeconds(ext4!);
            var ext4Bytes = ShippedBytes(ext4!);
            foreach (var (root, result) in roots)
            {
                var seconds = ImageStagesSeconds(result);
                Benchmarks.BenchTable.Row($"build {root} root vs ext4 ({name}, rootfs+disk+formats)", Seconds(seconds), Seconds(ext4Seconds), seconds / ext4Seconds, "report");
                Benchmarks.BenchTable.Row($"disk.raw.zst {root} root vs ext4 ({name})", Megabytes(ShippedBytes(result)), Megabytes(ext4Bytes), ShippedBytes(result) / (double)ext4Bytes, "report");
            }

            return ExitCodes.Success;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task<int> ValidateAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory("imagepipe-bench-validate-").FullName;
        try
        {
            var image = await new ImageBuilder(new BuildOptions { DataDirectory = Path.Combine(scratch, "data") }, NullBuildObserver.Instance)
                .BuildAsync(RecipeParser.Load(RepositoryPaths.Example("tiny")), cancellationToken);

            // The limit: the same guest booting alone, in as many rounds as the cores allow for four VMs.
            var alone = await ValidationRunner.RunAsync(image.Directory, ValidationPlan.Default(["bios-virtio"]), cancellationToken: cancellationToken);
            var single = alone.Profiles[0].Seconds;
            var matrix = await ValidationRunner.RunAsync(image.Directory, ValidationPlan.Default(), cancellationToken: cancellationToken);
            var rounds = Math.Ceiling(matrix.Profiles.Count / (double)Environment.ProcessorCount);
            var limit = single * rounds;

            Console.WriteLine($"{"profile",-18} {"boot to login",14} {"all checks",11}");
            foreach (var profile in matrix.Profiles)
                Console.WriteLine($"{profile.Profile,-18} {profile.BootSeconds,13:0.0}s {profile.Seconds,10:0.0}s");

            var roots = await ValidateRootTypesAsync(dataDirectory, cancellationToken);
            Benchmarks.BenchTable.Header();
            Benchmarks.BenchTable.Row("validate tiny, 4 profiles (wall)", Seconds(matrix.Seconds), Seconds(limit), matrix.Seconds / limit, $"< 120 s, all pass: {(matrix.Passed ? "yes" : "NO")}");
            var ext4 = roots[0].Profile;
            foreach (var (root, profile) in roots.Skip(1))
            {
                var passed = $"all pass: {(profile.Passed ? "yes" : "NO")}";
                Benchmarks.BenchTable.Row($"debian-web ready: {root} vs ext4", Seconds(profile.BootSeconds ?? 0), Seconds(ext4.BootSeconds ?? 0), (profile.BootSeconds ?? 0) / (ext4.BootSeconds ?? 1), $"report; {passed}");
                Benchmarks.BenchTable.Row($"debian-web all checks: {root} vs ext4", Seconds(profile.Seconds), Seconds(ext4.Seconds), profile.Seconds / ext4.Seconds, $"report; {passed}");
            }

            return matrix.Passed && roots.All(r => r.Profile.Passed) ? ExitCodes.Success : ExitCodes.Failed;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// debian-web with each root type (ext4 as the recipe has it, squashfs, erofs under dm-verity),
    /// built with the report agent and validated on bios-virtio with the recipe's checks: the
    /// read-only ones answer the harness's commands through the agent's validation channel.
    /// </summary>
    private static async Task<List<(string Root, ProfileResult Profile)>> ValidateRootTypesAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var options = new BuildOptions { DataDirectory = dataDirectory, ReportAgent = await AgentBinary.EnsurePublishedAsync(cancellationToken) };
        var recipe = RecipeParser.Load(RepositoryPaths.Example("debian-web"));
        var plan = ValidationPlan.FromSection(recipe.Validate?.Node, ["bios-virtio"]);
        var results = new List<(string Root, ProfileResult Profile)>();
        foreach (var (root, verity) in new[] { (RootFilesystem.Ext4, false), (RootFilesystem.Squashfs, false), (RootFilesystem.Erofs, true) })
        {
            var name = root.ToString().ToLowerInvariant() + (verity ? "+verity" : "");
            var variant = root == RootFilesystem.Ext4 ? recipe : recipe with { Disk = recipe.Disk with { Root = root, GrowRoot = false, Verity = verity } };
            Console.WriteLine($"debian-web, {name} root: building (cache: {dataDirectory}), then validating on bios-virtio");
            var image = await new ImageBuilder(options, NullBuildObserver.Instance).BuildAsync(variant, cancellationToken);
            var report = await ValidationRunner.RunAsync(image.Directory, plan, cancellationToken: cancellationToken);
            var profile = report.Profiles.Single();
            Console.WriteLine($"  boot to ready {profile.BootSeconds:0.0} s, all checks {profile.Seconds:0.0} s, {(profile.Passed ? "passed" : "FAILED: " + string.Join("; ", profile.Checks.Where(c => c.Outcome != CheckResult.Pass).Select(c => $"{c.Check}: {c.Reason}")))}");
            results.Add((name, profile));
        }

        return results;
    }

    /// <summary>The stages a root's type changes: the image layer (a read-only root rebuilds the initramfs), the disk, the formats.</summary>
    private static double ImageStagesSeconds(BuildResult result) =>
        result.Manifest.Stages.Where(s => s.Stage is "rootfs" or "disk" or "formats").Sum(s => s.Seconds);

    private static long ShippedBytes(BuildResult result) => result.Manifest.Artifacts.Single(a => a.Name == "disk.raw.zst").Size;

    private static string Megabytes(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1e6:0.0} MB");

    private static async Task<TimeSpan> TimeAsync(Func<Task> action)
    {
        // Each measured build starts with no dirty pages of the previous one still being written back.
        await CliWrap.Cli.Wrap("sync").ExecuteAsync();
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed;
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    private static string Seconds(double seconds) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{seconds:0.0} s");
}
