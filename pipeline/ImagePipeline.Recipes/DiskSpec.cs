namespace ImagePipeline.Recipes;

public enum RootFilesystem
{
    Ext4,
    Squashfs,
    Erofs,
}

public enum BootMode
{
    Uefi,
    Bios,
}

/// <summary>
/// The disk's size and its root filesystem. The ESP (FAT32) holds the kernel and both boot loaders.
/// A squashfs or erofs root is read-only; with <paramref name="Verity"/> dm-verity checks every block
/// of it against a hash tree in its own partition, whose root hash the ESP's command line names.
/// Under a read-only root <c>/var</c> is a tmpfs overlay (gone at the next boot) unless
/// <paramref name="VarSizeBytes"/> gives it an ext4 partition of its own, which keeps what the
/// machine writes there across reboots (its first content: the image's <c>/var</c>).
/// With <paramref name="AbSlots"/> the root has two slots of half the space each (partitions
/// <c>root-a</c> and <c>root-b</c>): the image fills slot A, and a running machine's agent writes
/// the next image into the other slot and boots it once on trial (in-place updates).
/// </summary>
public sealed record DiskSpec(long SizeBytes, RootFilesystem Root, long EspSizeBytes, bool GrowRoot, bool Verity = false, long VarSizeBytes = 0, bool AbSlots = false)
{
    /// <summary>/var is a partition of its own rather than a tmpfs overlay.</summary>
    public bool VarPartition => VarSizeBytes > 0;

    /// <summary>The root cannot be written: squashfs and erofs are read-only file systems.</summary>
    public bool ReadOnlyRoot => Root != RootFilesystem.Ext4;

    /// <summary>How many root slots the disk has: 2 with A/B slots.</summary>
    public int RootSlots => AbSlots ? 2 : 1;

    public const long MiB = 1024 * 1024;
    /// <summary>FAT32 needs at least 65,525 clusters; with 512-byte clusters that is just over 32 MiB.</summary>
    public const long MinimumEspBytes = 40 * MiB;
    public const long DefaultEspBytes = 128 * MiB;
    /// <summary>1 MiB of alignment before the first partition and room for the backup GPT after the last.</summary>
    public const long PartitionTableOverheadBytes = 2 * MiB;
    public const long MinimumRootBytes = 16 * MiB;
    /// <summary>ext4 with a journal needs a few MiB; less than this is never what was meant.</summary>
    public const long MinimumVarBytes = 16 * MiB;
    public const long MaximumDiskBytes = 2L * 1024 * 1024 * MiB;
}
