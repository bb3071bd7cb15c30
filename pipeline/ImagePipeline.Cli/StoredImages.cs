using System.Text.Json;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Artifacts;

namespace ImagePipeline.Cli;

/// <summary>The images of the data directory's artifact store, by id or unique prefix, for the verbs that take one.</summary>
public static class StoredImages
{
    /// <returns>the image's manifest, or null after saying on standard error what to give instead</returns>
    public static ImageManifest? Find(string dataDirectory, string idOrPrefix, string verb)
    {
        var directory = new ArtifactPublisher(dataDirectory, null).Find(idOrPrefix);
        var path = directory is null ? null : Path.Combine(directory, ArtifactStoreLayout.Manifest);
        if (path is null || !File.Exists(path))
        {
            Console.Error.WriteLine($"{verb}: '{idOrPrefix}' is not an image id in {dataDirectory}/artifacts/sha256; build one with ./imagepipe build RECIPE");
            return null;
        }

        return JsonSerializer.Deserialize<ImageManifest>(File.ReadAllText(path), ManifestJson.Options);
    }
}
