using System.Security.Cryptography;

namespace ImagePipeline.Chunks;

/// <summary>
/// Cuts a disk into chunks (<see cref="GearChunker"/>) region by region: a region is a partition or
/// the space between two, so a boundary always falls where a partition starts and a change in one
/// partition never moves the chunks of another. Each chunk is named by its SHA-256.
/// </summary>
public static class DiskChunker
{
    private const int ReadSize = 4 * 1024 * 1024;

    /// <param name="regionStarts">where regions start (partition starts and ends), in any order; 0 and the end are implied</param>
    /// <param name="onChunk">called for each chunk in order, with its bytes (valid until the returned task completes)</param>
    public static async Task<IReadOnlyList<Chunk>> ChunkAsync(Stream disk, long length, IEnumerable<long> regionStarts,
        Func<Chunk, ReadOnlyMemory<byte>, ValueTask>? onChunk, CancellationToken cancellationToken)
    {
        var cuts = regionStarts.Where(s => s > 0 && s < length).Append(length).Distinct().Order().ToList();
        var chunks = new List<Chunk>();
        var buffer = new byte[ReadSize + GearChunker.MaximumSize];
        var filled = 0;
        var bufferStart = 0L;
        var consumed = 0;
        long position = 0;
        foreach (var cut in cuts)
        {
            while (position < cut)
            {
                // Keep at least MaximumSize bytes of this region ahead, unless the region ends sooner.
                var available = filled - consumed;
                var regionLeft = cut - position;
                if (available < GearChunker.MaximumSize && bufferStart + filled < length)
                {
                    Array.Copy(buffer, consumed, buffer, 0, available);
                    bufferStart += consumed;
                    consumed = 0;
                    filled = available;
                    var want = (int)Math.Min(buffer.Length - filled, length - (bufferStart + filled));
                    while (want > 0)
                    {
                        var read = await disk.ReadAsync(buffer.AsMemory(filled, want), cancellationToken);
                        if (read == 0)
                            throw new EndOfStreamException($"the disk ended at {bufferStart + filled} bytes, before its {length}");
                        filled += read;
                        want -= read;
                    }

                    available = filled - consumed;
                }

                var inRegion = (int)Math.Min(available, regionLeft);
                var size = GearChunker.NextBoundary(buffer.AsSpan(consumed, inRegion), final: inRegion == regionLeft);
                var bytes = buffer.AsMemory(consumed, size);
                var chunk = new Chunk(position, size, Convert.ToHexStringLower(SHA256.HashData(bytes.Span)));
                chunks.Add(chunk);
                if (onChunk is not null)
                    await onChunk(chunk, bytes);
                consumed += size;
                position += size;
            }
        }

        return chunks;
    }
}
