namespace ImagePipeline.Agent.Protocol;

/// <summary>What the agent reads from /sys and /proc in the netboot environment.</summary>
public sealed record HardwareFacts
{
    /// <summary>"bios" or "uefi" (from /sys/firmware/efi).</summary>
    public required string Firmware { get; init; }
    public required CpuFacts Cpu { get; init; }
    public required long MemoryBytes { get; init; }
    public required IReadOnlyList<DiskFacts> Disks { get; init; }
    public required IReadOnlyList<NicFacts> Nics { get; init; }
    public required DmiFacts Dmi { get; init; }
}

public sealed record CpuFacts(string Model, int Cores);

public sealed record DiskFacts
{
    /// <summary>Kernel name, for example <c>nvme0n1</c> or <c>sda</c>.</summary>
    public required string Name { get; init; }
    public required long SizeBytes { get; init; }
    public string? Model { get; init; }
    public string? Serial { get; init; }
    public bool Rotational { get; init; }
    public bool Removable { get; init; }
}

public sealed record NicFacts
{
    public required string Name { get; init; }
    /// <summary>Lower-case, colon separated: <c>52:54:00:12:34:56</c>.</summary>
    public required string Mac { get; init; }
    public string? Driver { get; init; }
    /// <summary>Link speed in Mb/s, absent when the link is down or the driver does not say.</summary>
    public int? SpeedMbps { get; init; }
}

public sealed record DmiFacts(string? Vendor, string? Product, string? Serial);
