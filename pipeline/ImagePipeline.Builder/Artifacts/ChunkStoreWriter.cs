using System.Threading.Channels;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Disk;
using ImagePipeline.Chunks;

namespace ImagePipeline.Builder.Artifacts;

/// <summary>
/// Cuts a built disk into chunks (<see cref="DiskChunker"/>, every partition start a boundary),
/// writes its index (<see cref="ArtifactStoreLayout.ChunkIndex"/>) and adds the chunks the store
/// lacks, each compressed with zstd into a file named by its digest (written to a temporary name,
/// then renamed: a reader never sees half a chunk, and two builds adding the same chunk agree).
/// Chunks are compressed on the other core while the next ones are cut.
/// </summary>
public static class ChunkStoreWriter
{
    private const int CompressionLevel = 3;

    /// <returns>the index written to <paramref name="indexPath"/>, and how many chunks were new to the store</returns>
    public static async Task<(ChunkIndex Index, int Added)> WriteAsync(string rawDisk, string chunkStore, string indexPath, CancellationToken cancellationToken)
    {
        var table = GptReader.Read(rawDisk);
        var starts = table.Partitions.SelectMany(p => new[] { p.FirstLba * 512, (p.LastLba + 1) * 512 });
        Directory.CreateDirectory(chunkStore);
        var pending = Channel.CreateBounded<(string Sha256, byte[] Bytes)>(new BoundedChannelOptions(64) { SingleWriter = true });
        var added = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var compressing = Task.Run(async () =>
        {
            using var compressor = new ZstdSharp.Compressor(CompressionLevel);
            await foreach (var (sha256, bytes) in pending.Reader.ReadAllAsync(cancellationToken))
            {
                var path = ArtifactStoreLayout.ChunkPath(chunkStore, sha256);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
                await File.WriteAllBytesAsync(temporary, compressor.Wrap(bytes).ToArray(), cancellationToken);
                File.Move(temporary, path, overwrite: true);
                Interlocked.Increment(ref added);
            }
        }, cancellationToken);

        IReadOnlyList<Chunk> chunks;
        try
        {
            await using var disk = new FileStream(rawDisk, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            chunks = await DiskChunker.ChunkAsync(disk, disk.Length, starts, async (chunk, bytes) =>
            {
                if (!seen.Add(chunk.Sha256))
                    return;
                if (!Reused(ArtifactStoreLayout.ChunkPath(chunkStore, chunk.Sha256)))
                    await pending.Writer.WriteAsync((chunk.Sha256, bytes.ToArray()), cancellationToken);
            }, cancellationToken);
        }
        finally
        {
            pending.Writer.TryComplete();
        }

        await compressing;
        var index = new ChunkIndex(new FileInfo(rawDisk).Length, chunks);
        await File.WriteAllBytesAsync(indexPath, index.ToBytes(), cancellationToken);
        return (index, added);
    }

    /// <summary>
    /// A stored chunk this build uses again is marked as just used, so the store's collection
    /// (<see cref="ChunkStoreCollector"/>) leaves it while this build's image is not yet published.
    /// </summary>
    /// <returns>false when the store has no such chunk (or the collection has just taken it): write it</returns>
    private static bool Reused(string stored)
    {
        try
        {
            File.SetLastWriteTimeUtc(stored, DateTime.UtcNow);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }
}
