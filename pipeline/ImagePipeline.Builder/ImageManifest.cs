using ImagePipeline.Builder.Stages;

namespace ImagePipeline.Builder;

/// <summary>
/// Everything known about one image version, written as <c>manifest.json</c> beside its artifacts.
/// <see cref="ImageId"/> is the SHA-256 of <c>disk.raw</c>; <see cref="InputDigest"/> identifies
/// what it was built from (the same input digest never makes a second, different image).
/// </summary>
public sealed record ImageManifest
{
    public const int CurrentSchema = 1;

    public int Schema { get; init; } = CurrentSchema;
    public required string ImageId { get; init; }
    public required string Name { get; init; }
    public required string InputDigest { get; init; }
    public required RecipeReference Recipe { get; init; }
    public required string Base { get; init; }
    public string? Snapshot { get; init; }
    public required KernelInfo Kernel { get; init; }
    public required DiskInfo Disk { get; init; }
    public required IReadOnlyList<PartitionDescription> Partitions { get; init; }
    public required IReadOnlyList<PackageEntry> Packages { get; init; }
    public required IReadOnlyList<ArtifactEntry> Artifacts { get; init; }
    public required IReadOnlyList<StageTiming> Stages { get; init; }
    public required DateTimeOffset BuiltAt { get; init; }
}

public sealed record RecipeReference(string Path, string Digest);

public sealed record KernelInfo(string Package, string Version, string CommandLine);

public sealed record DiskInfo(long Size, Guid DiskGuid, string RootFilesystem, IReadOnlyList<string> Boot, bool GrowRoot)
{
    /// <summary>A dm-verity root's root hash: the one value the kernel command line trusts for every block of the root; covered by the manifest's signature.</summary>
    public string? VerityRootHash { get; init; }
}

public sealed record PackageEntry(string Name, string Version, string Architecture);

public sealed record ArtifactEntry(string Name, long Size, string Sha256);
