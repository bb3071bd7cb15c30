using ImagePipeline.ArtifactStore;
using ImagePipeline.Chunks;

namespace ImagePipeline.Tests.Chunks;

/// <summary>
/// A disk of random bytes cut into chunks as the builder cuts an image, each chunk stored
/// zstd-compressed in a chunk store (<see cref="ArtifactStoreLayout.ChunkPath"/>): for tests of
/// what serves chunks (the boot service, a site's cache) without building an image.
/// </summary>
public static class ChunkedDisk
{
    /// <returns>the disk's bytes and its chunk index</returns>
    public static async Task<(byte[] Disk, ChunkIndex Index)> StoreAsync(int bytes, int seed, string chunkStore, CancellationToken cancellationToken)
    {
        var disk = new byte[bytes];
        new Random(seed).NextBytes(disk);
        using var compressor = new ZstdSharp.Compressor(3);
        var chunks = await DiskChunker.ChunkAsync(new MemoryStream(disk), disk.Length, [], (chunk, data) =>
        {
            var path = ArtifactStoreLayout.ChunkPath(chunkStore, chunk.Sha256);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, compressor.Wrap(data.Span).ToArray());
            return ValueTask.CompletedTask;
        }, cancellationToken);
        return (disk, new ChunkIndex(disk.Length, chunks));
    }
}
