using System.Globalization;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Networks;

namespace ImagePipeline.Validation.Lab;

/// <summary>
/// A virtual fleet: a private L2 network (namespace, bridge, a tap per machine), a real boot
/// service in full-DHCP mode on it, reachable from the host through a host link, and machines
/// with blank disks that boot from the network, each behind a BMC (<see cref="LabMachine"/>).
/// Machines start powered off, like servers racked but not yet provisioned. Disposal removes all
/// of it; the console logs stay in the lab directory until its owner deletes it.
/// </summary>
public sealed class LabFleet : IAsyncDisposable
{
    private readonly List<LabMachine> machines = [];

    private LabFleet(LabOptions options, VirtualNetwork network)
    {
        Options = options;
        Network = network;
    }

    public LabOptions Options { get; }
    public VirtualNetwork Network { get; }
    public HostLink? HostLink { get; private set; }
    public BootServiceInstance? BootService { get; private set; }
    public IReadOnlyList<LabMachine> Machines => machines;

    /// <summary>The boot service's HTTP base URL, reachable from the host.</summary>
    public Uri BootServiceUrl => new($"http://{HostLink!.NamespaceAddress}:{BootServiceInstance.HttpPort}/");

    public string ConsoleDirectory => Path.Combine(Options.Directory, "consoles");

    /// <summary>The boot service's file root (<c>/files/...</c>): the deploy environment in <c>deploy/</c>, and whatever else a lab serves its machines.</summary>
    public string BootFilesDirectory => Path.Combine(Options.Directory, "bootsvc", "files");

    public LabMachine this[string id] => machines.FirstOrDefault(m => m.Id == id)
        ?? throw new KeyNotFoundException($"no lab machine '{id}'; the lab has {string.Join(", ", machines.Select(m => m.Id))}");

    public static async Task<LabFleet> StartAsync(LabOptions options, CancellationToken cancellationToken)
    {
        if (options.Machines is < 1 or > 250)
            throw new ArgumentOutOfRangeException(nameof(options), options.Machines, "a lab has 1 to 250 machines");
        if (options.Profiles.Count == 0)
            throw new ArgumentException("a lab needs at least one hardware profile", nameof(options));
        var hardware = options.Profiles;
        foreach (var file in new[] { "vmlinuz", "initrd.img" })
        {
            if (!File.Exists(Path.Combine(options.DeployEnvironment, file)))
                throw new FileNotFoundException($"the deploy environment has no {file} in {options.DeployEnvironment}; build it with ./imagepipe build-deploy-env");
        }

        Directory.CreateDirectory(options.Directory);
        var network = await VirtualNetwork.CreateAsync(options.Label, cancellationToken);
        var fleet = new LabFleet(options, network);
        try
        {
            fleet.HostLink = await network.AddHostLinkAsync(cancellationToken);
            // The boot service's own data directory: its machines and leases are this lab's, its files the deploy environment.
            var files = Path.Combine(fleet.BootFilesDirectory, "deploy");
            Directory.CreateDirectory(files);
            foreach (var file in Directory.EnumerateFiles(options.DeployEnvironment))
                File.Copy(file, Path.Combine(files, Path.GetFileName(file)), overwrite: true);
            fleet.BootService = await BootServiceInstance.StartAsync(network, options.Cli,
                // A rehearsal: agents on A/B slots ask for in-place updates every 5 s, not every 30.
                ["--mode", "full", "--discovery", "--data", options.Directory, "--artifacts", options.ArtifactsDirectory, "--update-check-seconds", "5"], options.AdminToken,
                Path.Combine(options.Directory, "bootsvc.log"), cancellationToken);
            for (var i = 1; i <= options.Machines; i++)
            {
                var spec = hardware[(i - 1) % hardware.Count];
                var id = $"lab-{i}";
                var tap = await network.AddTapAsync(cancellationToken);
                var machine = QemuMachine.Create(id)
                    .WithFirmware(spec.Firmware).WithDiskBus(spec.DiskBus).WithNic(spec.Nic).WithCpus(spec.Cpus)
                    .WithMemory(Math.Max(spec.MemoryMiB, options.MinimumMemoryMiB))
                    .WithNetwork(NetworkAttachment.Tap(network.Namespace, tap))
                    .WithMac($"{options.MacPrefix}:{i.ToString("x2", CultureInfo.InvariantCulture)}")
                    .WithNetworkBoot(NetworkBoot.IpxeRom)
                    // A lab disk is a machine's disk: a power cut leaves what reached it, nothing more or less.
                    .WithDiskCache(DiskCache.WriteThrough);
                fleet.machines.Add(await LabMachine.CreateAsync(id, spec.Name, machine, options.DiskBytes,
                    Path.Combine(fleet.ConsoleDirectory, $"{id}.log"), options.Accelerator, cancellationToken));
            }

            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>Pulls the cable between the lab's switch and a machine (its tap goes down) or plugs it back.</summary>
    public async Task SetLinkAsync(string id, bool up, CancellationToken cancellationToken)
    {
        var machine = this[id];
        if (machine.Hardware.Network is not NetworkAttachment.TapNetwork tap)
            throw new InvalidOperationException($"{id} is not on the lab network");
        // Both ends of the cable: the VM's NIC loses its carrier (the harness's BlockAsync) and the switch port goes down.
        await (up ? machine.Vm.UnblockAsync(cancellationToken) : machine.Vm.BlockAsync(cancellationToken));
        var result = await Network.Command("ip", "link", "set", tap.Device, up ? "up" : "down").ExecuteAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new Harness.HarnessException($"could not set {tap.Device} {(up ? "up" : "down")}");
    }

    /// <summary>Bytes through a machine's switch port so far: sent to the machine, and received from it (its tap's counters).</summary>
    public async Task<(long ToMachine, long FromMachine)> TrafficAsync(string id, CancellationToken cancellationToken)
    {
        if (this[id].Hardware.Network is not NetworkAttachment.TapNetwork tap)
            throw new InvalidOperationException($"{id} is not on the lab network");
        var statistics = $"/sys/class/net/{tap.Device}/statistics";
        var output = new System.Text.StringBuilder();
        var result = await Network.Command("cat", $"{statistics}/tx_bytes", $"{statistics}/rx_bytes")
            .WithStandardOutputPipe(CliWrap.PipeTarget.ToStringBuilder(output)).WithValidation(CliWrap.CommandResultValidation.None).ExecuteAsync(cancellationToken);
        var counters = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (result.ExitCode != 0 || counters.Length != 2)
            throw new Harness.HarnessException($"could not read the traffic counters of {tap.Device}");
        // The tap's transmit side is the switch sending to the machine.
        return (long.Parse(counters[0], CultureInfo.InvariantCulture), long.Parse(counters[1], CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var machine in machines)
            await machine.DisposeAsync();
        if (BootService is not null)
            await BootService.DisposeAsync();
        await Network.DisposeAsync();
    }
}
