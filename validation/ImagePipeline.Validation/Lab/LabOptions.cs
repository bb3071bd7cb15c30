using ImagePipeline.Validation.Machines;

namespace ImagePipeline.Validation.Lab;

/// <summary>What a lab is made of.</summary>
public sealed record LabOptions
{
    /// <summary>
    /// The default mix: BIOS and UEFI in turn, each with another NIC and disk bus, so four machines
    /// cover SeaBIOS and OVMF, virtio-net, e1000 and rtl8139, virtio-blk, SATA, SCSI and NVMe.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultProfiles = ["bios-virtio", "uefi-sata-e1000", "bios-scsi-rtl8139", "uefi-nvme", "bios-sata-e1000", "uefi-virtio"];

    public required int Machines { get; init; }
    /// <summary>Hardware profiles (catalogue or a recipe's own), used in turn: machine i gets profile i mod count.</summary>
    public required IReadOnlyList<QemuMachine> Profiles { get; init; }
    /// <summary>The lab's own directory: consoles, the boot service's database and files, its log.</summary>
    public required string Directory { get; init; }
    /// <summary>The artifact store the boot service serves images from (data/artifacts/sha256).</summary>
    public required string ArtifactsDirectory { get; init; }
    /// <summary>The deploy environment (vmlinuz, initrd.img) machines netboot into.</summary>
    public required string DeployEnvironment { get; init; }
    public required CliLauncher Cli { get; init; }
    /// <summary>Token for the boot service's /api/v1 writes (desired images).</summary>
    public required string AdminToken { get; init; }
    /// <summary>Each machine's blank disk (qcow2: it takes only what is written).</summary>
    public long DiskBytes { get; init; } = 4L << 30;
    /// <summary>At least this much memory per machine: the deploy environment runs from RAM.</summary>
    public int MinimumMemoryMiB { get; init; } = 768;
    /// <summary>The first five bytes of every machine's MAC; the sixth is its number.</summary>
    public string MacPrefix { get; init; } = "52:54:00:1a:b0";
    /// <summary>A label in the network namespace's name, to tell labs apart.</summary>
    public string Label { get; init; } = "lab";
    public string Accelerator { get; init; } = "tcg";
}
