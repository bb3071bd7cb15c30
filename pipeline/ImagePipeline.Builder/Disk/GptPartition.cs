namespace ImagePipeline.Builder.Disk;

/// <summary>One used entry of a GPT partition entry array (UEFI 2.10 §5.3.3).</summary>
public sealed record GptPartition(
    int Number,
    Guid TypeGuid,
    Guid PartitionGuid,
    long FirstLba,
    long LastLba,
    ulong Attributes,
    string Name)
{
    /// <summary>Bit 2: the partition is bootable by legacy BIOS (read by gptmbr.bin).</summary>
    public const ulong LegacyBiosBootable = 1UL << 2;

    public static readonly Guid EfiSystem = new("C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    /// <summary>Discoverable Partitions Specification: root partition for x86-64.</summary>
    public static readonly Guid LinuxRootX86X64 = new("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709");
    /// <summary>The Discoverable Partitions Specification's root verity (hash tree) partition for x86-64.</summary>
    public static readonly Guid LinuxRootVerityX86X64 = new("2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5");
    /// <summary>The Discoverable Partitions Specification's variable data (/var) partition.</summary>
    public static readonly Guid LinuxVariableData = new("4D21B016-B534-45C2-A9FB-5C16E091FD2D");

    public long SectorCount => LastLba - FirstLba + 1;
}
