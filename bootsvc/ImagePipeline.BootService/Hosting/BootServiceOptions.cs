using System.Net;
using ImagePipeline.BootService.Dhcp;

namespace ImagePipeline.BootService.Hosting;

/// <summary>Everything the boot service needs to know to run; <see cref="BootServiceSetup"/> fills the gaps from the interface.</summary>
public sealed record BootServiceOptions
{
    /// <summary>The boot network's interface (DHCP, TFTP and router advertisements are bound to it).</summary>
    public string? Interface { get; init; }
    public BootMode Mode { get; init; } = BootMode.Full;
    /// <summary>This service's address on the boot network; by default the interface's first IPv4 address.</summary>
    public IPAddress? ServerAddress { get; init; }
    /// <summary>Full mode: the addresses handed out; by default the upper half of the interface's subnet.</summary>
    public AddressRange? Pool { get; init; }
    public IPAddress? Router { get; init; }
    public IReadOnlyList<IPAddress> DnsServers { get; init; } = [];
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromHours(1);
    public int HttpPort { get; init; } = 8080;
    public int TftpPort { get; init; } = 69;
    public int DhcpPort { get; init; } = DhcpServer.ServerPort;
    /// <summary>Holds bootsvc.db (machines, leases) and files/ (the deploy environment).</summary>
    public required string DataDirectory { get; init; }
    /// <summary>The builder's artifact store (data/artifacts/sha256), served under /images/.</summary>
    public required string ArtifactsDirectory { get; init; }
    /// <summary>The chunk store delta writes fetch from; by default the builder's, beside the artifact store (data/artifacts/chunks).</summary>
    public string? ChunkStoreDirectory { get; init; }
    /// <summary>A site's boot service: the pipeline server whose artifact store it pulls what it lacks from (its site cache), with <see cref="UpstreamToken"/>.</summary>
    public Uri? Upstream { get; init; }
    /// <summary>An operator's API token on <see cref="Upstream"/>.</summary>
    public string? UpstreamToken { get; init; }
    /// <summary>iPXE binaries; Debian's package ipxe installs them here.</summary>
    public string IpxeDirectory { get; init; } = Files.BootFiles.DebianIpxeDirectory;
    public bool Discovery { get; init; }
    /// <summary>Guards writes to /api/v1 (desired images); without it they are refused.</summary>
    public string? AdminToken { get; init; }
    /// <summary>Send IPv6 router advertisements so iPXE does not wait for IPv6 (on by default in full mode).</summary>
    public bool? RouterAdvertisements { get; init; }
    public string ExtraKernelArguments { get; init; } = "";
    /// <summary>How often the agent of a healthy machine with A/B slots asks whether to update in place (told in each health acknowledgement).</summary>
    public TimeSpan UpdateCheckInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How many of the newest events the boot database keeps (the event feed's window; older ones are deleted).</summary>
    public long EventRetention { get; init; } = Storage.SqliteMachineInventory.DefaultEventRetention;

    public string DatabasePath => Path.Combine(DataDirectory, "bootsvc.db");
    public string FilesDirectory => Path.Combine(DataDirectory, "files");
    public string ChunksDirectory => ChunkStoreDirectory ?? Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(ArtifactsDirectory)))!, "chunks");
}
