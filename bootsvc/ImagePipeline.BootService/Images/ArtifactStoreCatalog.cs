using ImagePipeline.ArtifactStore;

namespace ImagePipeline.BootService.Images;

/// <summary>
/// Images in the builder's content-addressed store (<see cref="ArtifactStoreLayout"/>), with the
/// disk facts the boot path needs from each manifest, and the signature a promotion attached,
/// which the agent checks against the key in its deploy environment.
/// </summary>
public sealed class ArtifactStoreCatalog(string root) : IImageCatalog
{
    public string Root => root;

    public BootImage? Find(string imageId)
    {
        if (imageId.Length != 64 || !imageId.All(char.IsAsciiHexDigitLower))
            return null;
        var directory = ArtifactStoreLayout.ImageDirectory(root, imageId);
        var manifest = Path.Combine(directory, ArtifactStoreLayout.Manifest);
        if (!File.Exists(manifest) || !File.Exists(Path.Combine(directory, ArtifactStoreLayout.CompressedDisk)))
            return null;
        var disk = ArtifactStoreLayout.ReadDisk(manifest);
        var signature = Path.Combine(directory, ArtifactStoreLayout.Signature);
        return new BootImage(imageId, disk.Size, disk.GrowRoot, $"{imageId}/{ArtifactStoreLayout.CompressedDisk}", File.Exists(signature) ? File.ReadAllText(signature).Trim() : null);
    }
}
