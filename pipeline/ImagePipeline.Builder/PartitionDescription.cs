namespace ImagePipeline.Builder;

/// <summary>One partition of a built disk as the manifest reports it: where it lies, its type and identity, its filesystem.</summary>
public sealed record PartitionDescription(int Number, string Name, Guid Type, Guid Uuid, long Offset, long Size, string Filesystem, string? FilesystemUuid);
