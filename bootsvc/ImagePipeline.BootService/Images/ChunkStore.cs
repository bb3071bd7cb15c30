using System.Collections.Concurrent;
using System.Security.Cryptography;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Chunks;

namespace ImagePipeline.BootService.Images;

/// <summary>
/// The chunks delta writes fetch: one zstd file per distinct chunk in the builder's chunk store
/// (<see cref="ArtifactStoreLayout.ChunkPath"/>), and, per image, which chunks its index names —
/// a machine's token opens the chunks of its own desired image, not the whole store. An index is
/// read once (and checked against the SHA-256 its manifest records) and kept for the images asked
/// for lately.
/// </summary>
public sealed class ChunkStore(string directory)
{
    private const int ImagesKept = 16;
    private readonly ConcurrentDictionary<string, Lazy<IReadOnlySet<string>>> indexes = new(StringComparer.Ordinal);

    public string Directory => directory;

    /// <summary>The digests <paramref name="image"/>'s index names.</summary>
    /// <exception cref="InvalidDataException">the index file is not what the manifest recorded, or not an index</exception>
    public IReadOnlySet<string> ChunksOf(BootImage image, StoredChunkIndex index)
    {
        if (indexes.Count >= ImagesKept && !indexes.ContainsKey(image.Id))
            indexes.Clear();
        var entry = indexes.GetOrAdd(image.Id, _ => new Lazy<IReadOnlySet<string>>(() => Read(index)));
        try
        {
            return entry.Value;
        }
        catch (InvalidDataException)
        {
            indexes.TryRemove(image.Id, out _);
            throw;
        }
    }

    /// <summary>The chunk's zstd file, or null when the store lacks it.</summary>
    public FileInfo? Find(string sha256)
    {
        var file = new FileInfo(ArtifactStoreLayout.ChunkPath(directory, sha256));
        return file.Exists ? file : null;
    }

    private static HashSet<string> Read(StoredChunkIndex index)
    {
        var bytes = File.ReadAllBytes(index.File);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (sha256 != index.Sha256)
            throw new InvalidDataException($"{index.File} has SHA-256 {sha256}, but the image's manifest records {index.Sha256}: the store is damaged; rebuild the image");
        try
        {
            return ChunkIndex.Parse(bytes).Chunks.Select(c => c.Sha256).ToHashSet(StringComparer.Ordinal);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{index.File}: {e.Message}", e);
        }
    }
}
