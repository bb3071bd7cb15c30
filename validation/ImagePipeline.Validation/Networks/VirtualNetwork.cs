using System.Net;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Validation.Harness;

namespace ImagePipeline.Validation.Networks;

/// <summary>
/// A private layer-2 network for PXE: a network namespace holding a bridge (with the boot
/// service's address), tap devices for VMs and veth links to client namespaces. Nothing of it is
/// visible outside the namespace, so every network can use the same subnet. Needs root.
/// Disposal deletes the namespaces, which removes every device in them; namespaces left by a
/// killed owner are removed by the next network created (their names carry the owner's pid).
/// </summary>
public sealed class VirtualNetwork : IAsyncDisposable
{
    public const string Prefix = "imagepipe-net-";
    public const string Bridge = "br0";

    private static int counter;
    private readonly List<string> clientNamespaces = [];
    private readonly List<string> hostDevices = [];
    private int devices;

    private VirtualNetwork(string name, int prefixLength)
    {
        Namespace = name;
        PrefixLength = prefixLength;
    }

    /// <summary>The namespace the bridge, the taps and the boot service live in.</summary>
    public string Namespace { get; }

    /// <summary>The boot service's address on the bridge.</summary>
    public IPAddress ServerAddress { get; } = IPAddress.Parse("10.213.0.1");

    /// <summary>The subnet's prefix: /24 by default; a boot storm of hundreds of machines needs a larger one.</summary>
    public int PrefixLength { get; }

    public static Task<VirtualNetwork> CreateAsync(string label, CancellationToken cancellationToken = default) => CreateAsync(label, 24, cancellationToken);

    public static async Task<VirtualNetwork> CreateAsync(string label, int prefixLength, CancellationToken cancellationToken = default)
    {
        await ReapOrphansAsync(cancellationToken);
        var network = new VirtualNetwork($"{Prefix}{Environment.ProcessId}-{label}-{Interlocked.Increment(ref counter)}", prefixLength);
        try
        {
            await IpAsync(["netns", "add", network.Namespace], cancellationToken);
            await network.InAsync(["link", "set", "lo", "up"], cancellationToken);
            await network.InAsync(["link", "add", Bridge, "type", "bridge", "forward_delay", "0"], cancellationToken);
            // No duplicate address detection on the bridge: its link-local address (the source of
            // router advertisements) is usable at once instead of a second later.
            await network.ExecAsync("sysctl", ["-qw", $"net.ipv6.conf.{Bridge}.accept_dad=0"], cancellationToken);
            await network.InAsync(["addr", "add", $"{network.ServerAddress}/{prefixLength}", "dev", Bridge], cancellationToken);
            await network.InAsync(["link", "set", Bridge, "up"], cancellationToken);
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new tap device on the bridge, for one VM's NIC.</summary>
    public async Task<string> AddTapAsync(CancellationToken cancellationToken = default)
    {
        var tap = $"tap{Interlocked.Increment(ref devices)}";
        await InAsync(["tuntap", "add", tap, "mode", "tap"], cancellationToken);
        await InAsync(["link", "set", tap, "master", Bridge, "up"], cancellationToken);
        return tap;
    }

    /// <summary>A namespace of its own with an <c>eth0</c> on the bridge: where a Debian DHCP or TFTP client runs as a separate machine would.</summary>
    public async Task<string> AddClientNamespaceAsync(string mac, CancellationToken cancellationToken = default)
    {
        var n = Interlocked.Increment(ref devices);
        var client = $"{Namespace}-c{n}";
        await IpAsync(["netns", "add", client], cancellationToken);
        clientNamespaces.Add(client);
        await InAsync(["link", "add", $"veth{n}", "type", "veth", "peer", "name", "eth0", "netns", client], cancellationToken);
        await InAsync(["link", "set", $"veth{n}", "master", Bridge, "up"], cancellationToken);
        await IpAsync(["-n", client, "link", "set", "eth0", "address", mac], cancellationToken);
        await IpAsync(["-n", client, "link", "set", "eth0", "up"], cancellationToken);
        await IpAsync(["-n", client, "link", "set", "lo", "up"], cancellationToken);
        return client;
    }

    /// <summary>
    /// A point-to-point link between the host and this network's namespace (a veth pair on a /30
    /// of 10.214.0.0/16 that no host interface uses yet): how processes outside — the pipeline
    /// server, an operator's curl — reach the boot service's HTTP API inside. Machines on the
    /// bridge cannot reach the host through it: nothing routes between the link and the bridge.
    /// The host side goes away with the namespace.
    /// </summary>
    public async Task<HostLink> AddHostLinkAsync(CancellationToken cancellationToken = default)
    {
        var used = await Cli.Wrap("ip").WithArguments(["-o", "-4", "addr", "show"]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        var seed = (Environment.ProcessId * 31) + Interlocked.Increment(ref counter);
        for (var attempt = 0; attempt < 16383; attempt++)
        {
            var block = ((seed + attempt) % 16383) + 1;
            var host = IPAddress.Parse($"10.214.{block >> 6}.{((block & 63) * 4) + 1}");
            var inside = IPAddress.Parse($"10.214.{block >> 6}.{((block & 63) * 4) + 2}");
            if (used.StandardOutput.Contains($" {host}/", StringComparison.Ordinal) || used.StandardOutput.Contains($" {inside}/", StringComparison.Ordinal))
                continue;
            var hostDevice = $"iph{block}";
            await IpAsync(["link", "add", hostDevice, "type", "veth", "peer", "name", "host0", "netns", Namespace], cancellationToken);
            hostDevices.Add(hostDevice);
            await IpAsync(["addr", "add", $"{host}/30", "dev", hostDevice], cancellationToken);
            await IpAsync(["link", "set", hostDevice, "up"], cancellationToken);
            await InAsync(["addr", "add", $"{inside}/30", "dev", "host0"], cancellationToken);
            await InAsync(["link", "set", "host0", "up"], cancellationToken);
            return new HostLink(hostDevice, host, inside);
        }

        throw new HarnessException("no free /30 left in 10.214.0.0/16 for a host link");
    }

    /// <summary>A command run inside this network's namespace.</summary>
    public Command Command(string program, params string[] arguments) => InNamespace(Namespace, program, arguments);

    /// <summary>A command run inside another namespace (a client's).</summary>
    public static Command InNamespace(string networkNamespace, string program, params string[] arguments) =>
        Cli.Wrap("ip").WithArguments(["netns", "exec", networkNamespace, program, .. arguments]).WithValidation(CommandResultValidation.None);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in clientNamespaces)
            await DeleteNamespaceAsync(client);
        await DeleteNamespaceAsync(Namespace);
        // The kernel removes a veth pair with its namespace, but in the background: delete the
        // host end now, so nothing of the network is visible once this returns.
        foreach (var device in hostDevices)
            await Cli.Wrap("ip").WithArguments(["link", "delete", device]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
    }

    private Task InAsync(string[] arguments, CancellationToken cancellationToken) => IpAsync(["-n", Namespace, .. arguments], cancellationToken);

    private async Task ExecAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var result = await Command(program, arguments).ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new HarnessException($"{program} {string.Join(' ', arguments)} in {Namespace} failed: {result.StandardError.Trim()}");
    }

    private static async Task IpAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var result = await Cli.Wrap("ip").WithArguments(arguments).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new HarnessException($"ip {string.Join(' ', arguments)} failed: {result.StandardError.Trim()} (virtual networks need root and the iproute2 package)");
    }

    /// <summary>Deletes a namespace by name, ending every process still inside it first (a boot service, a QEMU): what a dead owner left.</summary>
    public static Task DeleteAsync(string name) => DeleteNamespaceAsync(name);

    private static async Task DeleteNamespaceAsync(string name)
    {
        // Processes still inside (a boot service, a QEMU) keep the devices alive: end them first.
        var pids = await Cli.Wrap("ip").WithArguments(["netns", "pids", name]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        foreach (var pid in pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
            {
            }
        }

        await Cli.Wrap("ip").WithArguments(["netns", "delete", name]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
    }

    private static async Task ReapOrphansAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists("/run/netns"))
            return;
        foreach (var path in Directory.EnumerateFiles("/run/netns", Prefix + "*"))
        {
            var owner = Path.GetFileName(path)[Prefix.Length..].Split('-')[0];
            if (int.TryParse(owner, out var pid) && !Directory.Exists($"/proc/{pid}"))
                await DeleteNamespaceAsync(Path.GetFileName(path));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
