using System.Text.Json;

namespace ImagePipeline.BootService.Images;

/// <summary>
/// Images in the builder's content-addressed store (<c>data/artifacts/sha256/ID/</c>), read from
/// each image's manifest.json: only the fields the boot path needs, so the boot service does not
/// depend on the builder; and the signature a promotion attached (disk.raw.sig), which the agent
/// checks against the key in its deploy environment.
/// </summary>
public sealed class ArtifactStoreCatalog(string root) : IImageCatalog
{
    public const string StreamName = "disk.raw.zst";
    /// <summary>Attached by the pipeline server when a promotion is approved.</summary>
    public const string SignatureName = "disk.raw.sig";

    public string Root => root;

    public BootImage? Find(string imageId)
    {
        if (imageId.Length != 64 || !imageId.All(char.IsAsciiHexDigitLower))
            return null;
        var manifest = Path.Combine(root, imageId, "manifest.json");
        if (!File.Exists(manifest) || !File.Exists(Path.Combine(root, imageId, StreamName)))
            return null;
        using var document = JsonDocument.Parse(File.ReadAllBytes(manifest));
        var disk = document.RootElement.GetProperty("disk");
        var grow = disk.TryGetProperty("growRoot", out var g) && g.GetBoolean();
        var signature = Path.Combine(root, imageId, SignatureName);
        return new BootImage(imageId, disk.GetProperty("size").GetInt64(), grow, $"{imageId}/{StreamName}", File.Exists(signature) ? File.ReadAllText(signature).Trim() : null);
    }
}
