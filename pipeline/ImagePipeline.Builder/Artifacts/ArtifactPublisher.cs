using System.Text.Json;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Caching;

namespace ImagePipeline.Builder.Artifacts;

/// <summary>
/// Publishes a finished image atomically: artifacts are written into a staging directory beside
/// the destination and renamed into place, so readers see a whole image or none. In the store,
/// the destination is <c>artifacts/sha256/IMAGE_ID</c>; an image already there keeps every byte it
/// has and only gains exports it lacks (<see cref="AddMissingArtifacts"/>).
/// </summary>
public sealed class ArtifactPublisher(string dataDirectory, string? outputDirectory)
{
    public string StoreRoot => ArtifactStoreLayout.Root(dataDirectory);

    /// <summary>A staging directory beside the destination, leased while this build lives; those of dead builds are removed first.</summary>
    public TemporaryDirectory CreateStaging()
    {
        var parent = outputDirectory is null ? StoreRoot : Path.GetDirectoryName(Path.GetFullPath(outputDirectory))!;
        TemporaryDirectory.RemoveAbandoned(parent, ".tmp-image");
        return TemporaryDirectory.Create(parent, ".tmp-image");
    }

    public (string Directory, bool AlreadyStored) Publish(string staging, string imageId)
    {
        if (outputDirectory is null)
        {
            var final = Path.Combine(StoreRoot, imageId);
            if (Directory.Exists(final))
                return (final, true);
            try
            {
                Directory.Move(staging, final);
            }
            catch (IOException) when (Directory.Exists(final))
            {
                return (final, true); // published concurrently by another build of the same image
            }

            return (final, false);
        }

        var target = Path.GetFullPath(outputDirectory);
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return (target, false);
        }

        // Swap: the old output stays whole until the new one is in place.
        var old = target + $".old-{Environment.ProcessId}";
        Directory.Move(target, old);
        Directory.Move(staging, target);
        StageCache.TryDelete(old);
        return (target, false);
    }

    /// <summary>
    /// An image already in the store keeps every byte it has; a later build of it that exports a
    /// format it lacks (a recipe that gained <c>formats:</c>) adds that file, renamed in from the
    /// staging directory, and the stored manifest gains its entry (written whole and renamed over
    /// the old one). The disk, its id and the entries already listed never change.
    /// </summary>
    /// <returns>the artifacts added</returns>
    public static IReadOnlyList<ArtifactEntry> AddMissingArtifacts(string staging, string imageDirectory, IReadOnlyList<ArtifactEntry> built)
    {
        var manifestPath = Path.Combine(imageDirectory, ArtifactStoreLayout.Manifest);
        var stored = JsonSerializer.Deserialize<ImageManifest>(File.ReadAllText(manifestPath), ManifestJson.Options)
            ?? throw new InvalidDataException($"{manifestPath} holds no manifest");
        var missing = built.Where(a => stored.Artifacts.All(s => s.Name != a.Name) && !File.Exists(Path.Combine(imageDirectory, a.Name))).ToList();
        if (missing.Count == 0)
            return [];
        foreach (var artifact in missing)
            File.Move(Path.Combine(staging, artifact.Name), Path.Combine(imageDirectory, artifact.Name));
        var updated = stored with { Artifacts = [.. stored.Artifacts, .. missing] };
        var temporary = manifestPath + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(temporary, JsonSerializer.Serialize(updated, ManifestJson.Options) + "\n");
        File.Move(temporary, manifestPath, overwrite: true);
        return missing;
    }

    /// <summary>Resolves an image id (or a unique prefix of one) to its directory in the store.</summary>
    public string? Find(string idOrPrefix)
    {
        if (!Directory.Exists(StoreRoot) || idOrPrefix.Length < 6)
            return null;
        var matches = Directory.GetDirectories(StoreRoot, idOrPrefix + "*").Where(d => !Path.GetFileName(d).StartsWith('.')).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }
}
