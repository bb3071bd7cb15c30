using System.Globalization;

namespace ImagePipeline.Builder.Disk;

/// <summary>
/// Where two builds of one disk differ, said by partition: the 4 KiB blocks that differ in each,
/// and the first differing byte. What a failed reproducibility check prints, so a build log (or a
/// CI run whose machine is gone) says which step to look at.
/// </summary>
public static class DiskDifference
{
    private const int Block = 4096;

    public static async Task<string> DescribeAsync(string first, string second, CancellationToken cancellationToken)
    {
        var partitions = GptReader.Read(first).Partitions;
        var counts = new SortedDictionary<string, (long Blocks, long FirstOffset)>(StringComparer.Ordinal);
        await using var a = new FileStream(first, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        await using var b = new FileStream(second, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var left = new byte[1 << 20];
        var right = new byte[1 << 20];
        for (long at = 0; at < a.Length && at < b.Length; at += left.Length)
        {
            var count = (int)Math.Min(left.Length, Math.Min(a.Length, b.Length) - at);
            await a.ReadExactlyAsync(left.AsMemory(0, count), cancellationToken);
            await b.ReadExactlyAsync(right.AsMemory(0, count), cancellationToken);
            for (var block = 0; block < count; block += Block)
            {
                var length = Math.Min(Block, count - block);
                var same = left.AsSpan(block, length).CommonPrefixLength(right.AsSpan(block, length));
                if (same == length)
                    continue;
                var offset = at + block + same;
                var where = partitions.FirstOrDefault(p => offset >= p.FirstLba * 512 && offset < (p.LastLba + 1) * 512) is { } p
                    ? $"partition {p.Number} ({(p.Name.Length == 0 ? "unnamed" : p.Name)})"
                    : "outside the partitions";
                counts[where] = counts.TryGetValue(where, out var seen) ? (seen.Blocks + 1, seen.FirstOffset) : (1, offset);
            }
        }

        if (a.Length != b.Length)
            counts[$"the length ({a.Length} vs {b.Length} bytes)"] = (0, Math.Min(a.Length, b.Length));
        return counts.Count == 0 ? "no byte differs" : string.Join("; ", counts.Select(c =>
            string.Create(CultureInfo.InvariantCulture, $"{c.Key}: {c.Value.Blocks} blocks of 4 KiB, first at byte {c.Value.FirstOffset}")));
    }
}
