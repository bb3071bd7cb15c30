using ImagePipeline.ArtifactStore;

namespace ImagePipeline.BootService.Images;

/// <summary>
/// Images in the builder's content-addressed store (<see cref="ArtifactStoreLayout"/>), with the
/// disk facts the boot path needs from each manifest, the signatures a promotion attached (the
/// image's and its chunk index's), which the agent checks against the key in its deploy
/// environment, and the chunk index delta writes start from.
/// </summary>
/// <param name="streamOnDemand">a site's cache (<see cref="SiteCache"/>): the stream is pulled when a machine first asks for it, so an image is known by its manifest alone</param>
public sealed class ArtifactStoreCatalog(string root, bool streamOnDemand = false) : IImageCatalog
{
    public string Root => root;

    public BootImage? Find(string imageId)
    {
        if (imageId.Length != 64 || !imageId.All(char.IsAsciiHexDigitLower))
            return null;
        var directory = ArtifactStoreLayout.ImageDirectory(root, imageId);
        var manifest = Path.Combine(directory, ArtifactStoreLayout.Manifest);
        if (!File.Exists(manifest) || (!streamOnDemand && !File.Exists(Path.Combine(directory, ArtifactStoreLayout.CompressedDisk))))
            return null;
        var disk = ArtifactStoreLayout.ReadDisk(manifest);
        return new BootImage(imageId, disk.Size, disk.GrowRoot, $"{imageId}/{ArtifactStoreLayout.CompressedDisk}",
            ReadSignature(directory, ArtifactStoreLayout.Signature), FindChunkIndex(directory, manifest));
    }

    private static StoredChunkIndex? FindChunkIndex(string directory, string manifest)
    {
        var file = Path.Combine(directory, ArtifactStoreLayout.ChunkIndex);
        if (!File.Exists(file) || ArtifactStoreLayout.ReadArtifactSha256(manifest, ArtifactStoreLayout.ChunkIndex) is not { } sha256)
            return null;
        return new StoredChunkIndex(file, sha256, ReadSignature(directory, ArtifactStoreLayout.ChunkIndexSignature));
    }

    private static string? ReadSignature(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}
