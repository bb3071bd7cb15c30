using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using CliWrap.Buffered;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Installer;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Cli.Lab;
using ImagePipeline.Recipes;
using ImagePipeline.Redfish;
using ImagePipeline.Validation.Lab.Deployment;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Profiles;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench seed</c>: the product's headline claim measured. The same lab machine
/// (bios-virtio, blank disk, the same boot service) goes from power-on to serving debian-web and
/// reporting healthy twice: by image (netboot, the agent writes the image, disk boot, in-image
/// health check) and by deploy-time install, the way operators do without images (netboot an
/// installer that partitions, installs the same package set from a local mirror, applies the
/// same configuration, installs the boot loader, reboots; the same health check). Debian's own
/// installer cannot run here (see <see cref="InstallerEnvironmentBuilder"/>): the peer is its
/// closest honest equivalent, "deploy-time mmdebstrap install". Both must end healthy, or the
/// benchmark fails. Goal (the seed's claim): the image path at least 5× faster.
/// </summary>
public static partial class SeedBenchmark
{
    private const string Profile = "bios-virtio";
    /// <summary>The installer runs from RAM (its tree is an initramfs): both runs get the memory it needs.</summary>
    private const int MemoryMiB = 2048;

    public static async Task<int> RunAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var options = new BuildOptions { DataDirectory = dataDirectory, ReportAgent = await AgentBinary.EnsurePublishedAsync(cancellationToken) };
        var recipe = RecipeParser.Load(RepositoryPaths.Example("debian-web"));
        Console.WriteLine("bench seed: building debian-web (the image both paths stand for)");
        using var observer = new Output.ConsoleBuildObserver(Console.Out);
        var build = await new ImageBuilder(options, observer).BuildAsync(recipe, cancellationToken);
        var deployEnvironment = await LabSetup.EnsureDeployEnvironmentAsync(dataDirectory, cancellationToken);
        if (deployEnvironment is null)
            return Failed("the deploy environment could not be built; run ./imagepipe build-deploy-env to see why");

        var bench = Path.Combine(dataDirectory, "bench", "seed");
        Console.WriteLine("bench seed: the installer (environment, local mirror of the package set, preseed)");
        var installer = await new InstallerEnvironmentBuilder(options, observer)
            .BuildAsync(recipe, build.Manifest.InputDigest, deployEnvironment, Path.Combine(bench, "environment"), Path.Combine(bench, "files"), cancellationToken);
        Console.WriteLine($"  {installer.Packages} packages, {installer.MirrorBytes / 1e6:0} MB of .debs in the mirror; the image has {build.Manifest.Packages.Count} packages");

        Console.WriteLine("bench seed: the same install natively on this host, for scale (the lab runs under TCG, which slows dpkg far more than a disk write)");
        var nativeSeconds = await InstallOnHostAsync(Path.Combine(installer.FilesDirectory, InstallerEnvironmentBuilder.MirrorDirectory), cancellationToken);
        Console.WriteLine($"  {nativeSeconds:0.0} s");

        var profile = HardwareProfiles.Get(Profile);
        Console.WriteLine($"bench seed: by image, {Profile}, blank disk");
        var image = await DeployAsync(dataDirectory, build.Manifest, profile, deployEnvironment, null, "seed-image", TimeSpan.FromMinutes(15), bench, cancellationToken);
        Console.WriteLine($"bench seed: by deploy-time install, {Profile}, blank disk (tens of minutes under TCG)");
        var install = await DeployAsync(dataDirectory, build.Manifest, profile, installer.EnvironmentDirectory, installer.FilesDirectory, "seed-install",
            TimeSpan.FromMinutes(75), bench, cancellationToken);

        Console.WriteLine();
        Console.WriteLine($"{"phase",-34} {"image",10} {"install",10}");
        foreach (var phase in PhaseNames)
            Console.WriteLine($"{phase,-34} {Seconds(image.Phases, phase),10} {Seconds(install.Phases, phase),10}");
        Console.WriteLine($"{"power-on to healthy",-34} {image.Outcome.Seconds,8:0.0} s {install.Outcome.Seconds,8:0.0} s");
        Console.WriteLine($"{"bytes to the machine",-34} {image.BytesToMachine / 1e6,7:0.0} MB {install.BytesToMachine / 1e6,7:0.0} MB");
        Console.WriteLine($"{"bytes from the machine",-34} {image.BytesFromMachine / 1e6,7:0.0} MB {install.BytesFromMachine / 1e6,7:0.0} MB");
        Console.WriteLine($"(consoles: {Path.Combine(bench, "seed-image.console.log")}, {Path.Combine(bench, "seed-install.console.log")})");
        foreach (var (name, run) in new[] { ("image", image), ("install", install) })
        {
            if (!run.Outcome.Healthy)
                return Failed($"the {name} path did not end healthy: {run.Outcome.Error}");
        }

        var ratio = install.Outcome.Seconds / image.Outcome.Seconds;
        BenchTable.Header();
        BenchTable.Row("debian-web, power-on → healthy", $"{image.Outcome.Seconds:0} s", $"{install.Outcome.Seconds:0} s", ratio, "≥ 5×");
        Console.WriteLine($"(the install phase natively on this host: {nativeSeconds:0.0} s, against {Seconds(install.Phases, PhaseNames[1])} in the lab under TCG)");
        Console.WriteLine("(peer: deploy-time mmdebstrap install — partition, the same package set from a local mirror, the same configuration, boot loader — on the same machine and boot service)");
        return ExitCodes.Success;
    }

    /// <summary>The rows both paths are compared on; a path without a phase shows "-".</summary>
    private static readonly string[] PhaseNames = ["netboot (power-on → environment up)", "write or install", "configuration", "reboot", "boot → healthy report"];

    /// <summary>The boot service's phases from power-on until the netbooted environment registered.</summary>
    private static readonly string[] NetbootPhases = ["power-on to DHCP", "DHCP to script", "power-on to script", "deploy environment up"];

    private sealed record Run(DeployOutcome Outcome, IReadOnlyDictionary<string, double> Phases, long BytesToMachine, long BytesFromMachine);

    private static string Seconds(IReadOnlyDictionary<string, double> phases, string name) =>
        phases.TryGetValue(name, out var seconds) ? string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0} s") : "-";

    /// <param name="extraFiles">served under the boot file root's installer/ (the preseed and the mirror), or null</param>
    private static async Task<Run> DeployAsync(string dataDirectory, ImageManifest manifest, QemuMachine profile, string environment, string? extraFiles, string label,
        TimeSpan timeout, string bench, CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory($"imagepipe-{label}-");
        try
        {
            var options = LabSetup.Options(dataDirectory, [profile], scratch.FullName, environment, label) with { MinimumMemoryMiB = MemoryMiB };
            await using var lab = await LabController.StartAsync(options, 0, cancellationToken);
            if (extraFiles is not null)
                CopyTree(extraFiles, Path.Combine(lab.Fleet.BootFilesDirectory, InstallerEnvironmentBuilder.FilesDirectory));
            var machine = lab.Fleet.Machines[0];
            var before = await lab.Fleet.TrafficAsync(machine.Id, cancellationToken);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var redfish = new RedfishClient(http, lab.RedfishUrl, new NetworkCredential(lab.Credentials.UserName, lab.Credentials.Password));
            var deployment = new FleetDeployment(new BootServiceClient(http, lab.Fleet.BootServiceUrl, options.AdminToken), redfish, TimeProvider.System);
            var outcome = (await deployment.DeployAsync(manifest.ImageId, manifest.Disk.Size, [new DeployTarget(machine.Profile, machine.Mac, $"/redfish/v1/Systems/{machine.Id}")],
                timeout, line => Console.WriteLine($"  {line}"), cancellationToken))[0];
            var after = await lab.Fleet.TrafficAsync(machine.Id, cancellationToken);
            var console = Path.Combine(bench, $"{label}.console.log");
            if (File.Exists(machine.ConsoleLogPath))
                File.Copy(machine.ConsoleLogPath, console, overwrite: true);
            var phases = Phases(outcome, File.Exists(console) ? await File.ReadAllTextAsync(console, cancellationToken) : "");
            Console.WriteLine($"  {(outcome.Healthy ? "✓ healthy" : "✗ " + outcome.Error)} after {outcome.Seconds:0.0} s");
            return new Run(outcome, phases, after.ToMachine - before.ToMachine, after.FromMachine - before.FromMachine);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The boot service's phases (<see cref="FleetDeployment.Phases"/>) in the compared rows; for
    /// the installer, its "write" (registration to result) is split by the phase lines it prints on
    /// the console: configuration apart, everything else (preseed, partitioning, packages, boot loader) is the install.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Phases(DeployOutcome outcome, string console)
    {
        var byName = outcome.Phases.GroupBy(p => p.Phase).ToDictionary(g => g.Key, g => g.First().Seconds);
        var phases = new Dictionary<string, double>();
        var netboot = NetbootPhases.Where(byName.ContainsKey).ToList();
        if (netboot.Count > 0)
            phases[PhaseNames[0]] = netboot.Sum(n => byName[n]);
        var installed = InstallerPhase().Matches(console).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        if (byName.TryGetValue("write", out var write))
        {
            var configuration = installed.GetValueOrDefault("configuration");
            phases[PhaseNames[1]] = write - configuration;
            if (installed.Count > 0)
                phases[PhaseNames[2]] = configuration;
        }

        if (byName.TryGetValue("reboot", out var reboot))
            phases[PhaseNames[3]] = reboot;
        // The phase after the reboot is the booted system's own: kernel to health report.
        var afterReboot = outcome.Phases.SkipWhile(p => p.Phase != "reboot").Skip(1).FirstOrDefault();
        if (afterReboot is not null)
            phases[PhaseNames[4]] = afterReboot.Seconds;
        return phases;
    }

    [GeneratedRegex(@"imagepipeline-install: phase ([a-z]+) ([0-9]+(?:\.[0-9]+)?)")]
    private static partial Regex InstallerPhase();

    /// <summary>The installer's package step (install.sh's mmdebstrap, same options, same mirror) run on this host into a scratch directory.</summary>
    private static async Task<double> InstallOnHostAsync(string mirror, CancellationToken cancellationToken)
    {
        var packages = (await File.ReadAllLinesAsync(Path.Combine(mirror, PackageMirror.PackageNamesFile), cancellationToken)).Where(l => l.Length > 0);
        var target = Directory.CreateTempSubdirectory("imagepipe-seed-native-");
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var result = await CliWrap.Cli.Wrap("mmdebstrap").WithArguments(
            [
                "--mode=root", "--variant=essential", "--include=" + string.Join(',', packages), .. Builder.Stages.BaseRootfsStage.SlimOptions,
                ImageBase.DefaultSuite, target.FullName, $"deb [trusted=yes] copy:{mirror} ./",
            ]).WithValidation(CliWrap.CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"mmdebstrap from the mirror failed on this host: {result.StandardError[^Math.Min(500, result.StandardError.Length)..]}");
            return watch.Elapsed.TotalSeconds;
        }
        finally
        {
            target.Delete(recursive: true);
        }
    }

    private static void CopyTree(string source, string destination)
    {
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, directory)));
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)), overwrite: true);
    }

    private static int Failed(string reason)
    {
        Console.Error.WriteLine($"bench seed: {reason}");
        return ExitCodes.Failed;
    }
}
