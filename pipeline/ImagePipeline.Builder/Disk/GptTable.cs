namespace ImagePipeline.Builder.Disk;

/// <summary>A disk's GUID partition table as read back from its bytes.</summary>
public sealed record GptTable(
    Guid DiskGuid,
    int SectorSize,
    long FirstUsableLba,
    long LastUsableLba,
    long BackupHeaderLba,
    IReadOnlyList<GptPartition> Partitions);
