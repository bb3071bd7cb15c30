namespace ImagePipeline.BootService.Tftp;

/// <summary>
/// netascii conversions of served files, shared by every transfer of the same file version: a
/// burst of netascii requests for one file costs one converted copy, not one per request (a
/// fuzzer's thousands of requests for an 8 MiB kernel, each converted on its own, took the boot
/// service past 2.4 GiB). Keyed by path, length and modification time; past the budget the least
/// recently used conversions are dropped (transfers still sending one keep it until they end).
/// </summary>
public sealed class NetasciiCache(long budgetBytes)
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string Path, long Length, DateTime Modified), Entry> entries = [];
    private long bytes;
    private long uses;

    /// <summary>Bytes of the conversions held.</summary>
    public long Bytes
    {
        get
        {
            lock (gate)
                return bytes;
        }
    }

    public byte[] Get(FileInfo file)
    {
        var key = (file.FullName, file.Length, file.LastWriteTimeUtc);
        // One conversion at a time: a second request for a file being converted waits for it instead of making its own.
        lock (gate)
        {
            if (entries.TryGetValue(key, out var hit))
            {
                hit.LastUse = ++uses;
                return hit.Content;
            }

            var content = Netascii.Encode(File.ReadAllBytes(file.FullName));
            entries[key] = new Entry(content) { LastUse = ++uses };
            bytes += content.Length;
            while (bytes > budgetBytes && entries.Count > 1)
            {
                var oldest = entries.MinBy(e => e.Value.LastUse);
                entries.Remove(oldest.Key);
                bytes -= oldest.Value.Content.Length;
            }

            return content;
        }
    }

    private sealed class Entry(byte[] content)
    {
        public byte[] Content { get; } = content;
        public long LastUse { get; set; }
    }
}
