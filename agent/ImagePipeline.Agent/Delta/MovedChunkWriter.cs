using System.Security.Cryptography;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Chunks;

namespace ImagePipeline.Agent.Delta;

/// <summary>
/// Copies the chunks a delta finds elsewhere on the disk (<see cref="ChunkSource.Moved"/>) to
/// where the new image has them, on the same disk, without ever writing over bytes a copy still
/// has to read. A file system laid out anew after one changed file moves most of the disk a little
/// (measured on debian-web's ext4: 780 MB of 1 GiB moved, 100 MB changed), so holding every moved
/// chunk in memory is not an option. Copies run in rounds, like memmove in pieces: a copy whose
/// target overlaps no source still to be read goes now; ordered so that data moving up goes from
/// the top down and data moving down from the bottom up, a shift clears in one round. When a round
/// makes no progress (copies that wait on each other in a cycle), one blocking source is read into
/// memory (up to <see cref="HeldBytesLimit"/>), or else left to be fetched. Each copy hashes what it
/// read: bytes that are not the chunk are fetched instead.
/// </summary>
internal sealed class MovedChunkWriter(IBlockDevice disk, Action<long, ReadOnlySpan<byte>> write, int headBytes)
{
    /// <summary>Sources read into memory to break cycles, at most this many bytes at once.</summary>
    public const long HeldBytesLimit = 128L << 20;

    private readonly SortedSet<(long Start, int Id)> sources = new();
    private readonly Dictionary<int, byte[]> held = [];
    private long heldBytes;

    /// <summary>Copies held in memory to break a cycle, and the largest amount held at once.</summary>
    public int Held { get; private set; }
    public long PeakHeldBytes { get; private set; }

    /// <returns>the steps to fetch instead: sources that no longer hash right, or that did not fit in memory</returns>
    public List<DeltaStep> Write(IReadOnlyList<DeltaStep> moved)
    {
        var steps = moved.ToList();
        for (var id = 0; id < steps.Count; id++)
            sources.Add((steps[id].SeedOffset, id));
        var fetch = new List<DeltaStep>();
        var remaining = Enumerable.Range(0, steps.Count)
            .OrderBy(id => steps[id].Chunk.Offset > steps[id].SeedOffset ? 0 : 1)
            .ThenBy(id => steps[id].Chunk.Offset > steps[id].SeedOffset ? -steps[id].Chunk.Offset : steps[id].Chunk.Offset)
            .ToList();
        while (remaining.Count > 0)
        {
            var waiting = new List<int>();
            foreach (var id in remaining)
            {
                if (BlockerOf(steps, id) is not null)
                {
                    waiting.Add(id);
                    continue;
                }

                if (!Copy(steps[id], id))
                    fetch.Add(steps[id]);
            }

            if (waiting.Count == remaining.Count)
            {
                // A cycle: free the first waiting copy's blocker by holding its source in memory, or by fetching it instead.
                var blocker = BlockerOf(steps, waiting[0])!.Value;
                var step = steps[blocker];
                sources.Remove((step.SeedOffset, blocker));
                if (heldBytes + step.Chunk.Length <= HeldBytesLimit && Read(step) is { } bytes)
                {
                    held[blocker] = bytes;
                    heldBytes += bytes.Length;
                    PeakHeldBytes = Math.Max(PeakHeldBytes, heldBytes);
                    Held++;
                }
                else
                {
                    waiting.Remove(blocker);
                    fetch.Add(step);
                }
            }

            remaining = waiting;
        }

        return fetch;
    }

    /// <summary>A copy, not yet done, whose source the target of copy <paramref name="id"/> would write over; null when it may go.</summary>
    private int? BlockerOf(List<DeltaStep> steps, int id)
    {
        var chunk = steps[id].Chunk;
        // What falls in the first MiB is held in memory and written last: it writes over nothing yet.
        var start = Math.Max(chunk.Offset, headBytes);
        var end = chunk.Offset + chunk.Length;
        if (end <= start)
            return null;
        foreach (var (sourceStart, other) in sources.GetViewBetween((start - GearChunker.MaximumSize, int.MinValue), (end - 1, int.MaxValue)))
        {
            if (other != id && sourceStart + steps[other].Chunk.Length > start)
                return other;
        }

        return null;
    }

    /// <returns>false when the source no longer holds the chunk (it is to be fetched)</returns>
    private bool Copy(DeltaStep step, int id)
    {
        byte[]? bytes;
        if (held.Remove(id, out bytes))
        {
            heldBytes -= bytes.Length;
        }
        else
        {
            bytes = Read(step);
            sources.Remove((step.SeedOffset, id));
        }

        if (bytes is null)
            return false;
        write(step.Chunk.Offset, bytes);
        return true;
    }

    /// <summary>The chunk's bytes from where the seed has them, or null when they no longer hash to it.</summary>
    private byte[]? Read(DeltaStep step)
    {
        var bytes = new byte[step.Chunk.Length];
        return disk.Read(step.SeedOffset, bytes) == bytes.Length && Convert.ToHexStringLower(SHA256.HashData(bytes)) == step.Chunk.Sha256 ? bytes : null;
    }
}
