using ImagePipeline.Builder.Disk;

namespace ImagePipeline.Builder.Stages;

/// <summary>The disk as built: partition table identity, boot parameters, and each partition as the manifest reports it.</summary>
public sealed record DiskLayout(Guid DiskGuid, string KernelVersion, string KernelCommandLine, IReadOnlyList<PartitionDescription> Partitions)
{
    /// <summary>The dm-verity root hash of a verity root (also on the command line).</summary>
    public string? VerityRootHash { get; init; }

    public static PartitionDescription Describe(GptPartition partition, int sectorSize, string filesystem, string? filesystemUuid) => new(
        partition.Number, partition.Name, partition.TypeGuid, partition.PartitionGuid,
        partition.FirstLba * sectorSize, partition.SectorCount * sectorSize, filesystem, filesystemUuid);
}
