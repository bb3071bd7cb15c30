using System.Text.Json;
using System.Text.Json.Serialization;
using ImagePipeline.ArtifactStore;

namespace ImagePipeline.Builder;

/// <summary>JSON settings shared by the manifest and the files the builder writes: camelCase, indented, enums as text.</summary>
public static class ManifestJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The manifest of a built image's directory, or null when it has none.</summary>
    public static ImageManifest? Read(string? imageDirectory)
    {
        var path = imageDirectory is null ? null : Path.Combine(imageDirectory, ArtifactStoreLayout.Manifest);
        return path is not null && File.Exists(path) ? JsonSerializer.Deserialize<ImageManifest>(File.ReadAllText(path), Options) : null;
    }
}
