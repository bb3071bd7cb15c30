namespace ImagePipeline.Agent.Disks;

/// <summary>A disk in memory that remembers the order of writes, for tests of what is written when.</summary>
public sealed class FakeBlockDevice(long length, bool readsBackZeros = false) : IBlockDevice
{
    private readonly byte[] content = new byte[length];

    public string Path => "(memory)";
    public long Length => length;
    public bool ReadsBackZeros => readsBackZeros;
    public byte[] Content => content;
    /// <summary>(offset, length) of every write, in order.</summary>
    public List<(long Offset, int Length)> Writes { get; } = [];
    public int Flushes { get; private set; }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        data.CopyTo(content.AsSpan((int)offset));
        Writes.Add((offset, data.Length));
    }

    public int Read(long offset, Span<byte> destination)
    {
        var count = (int)Math.Min(destination.Length, length - offset);
        content.AsSpan((int)offset, count).CopyTo(destination);
        return count;
    }

    public void Flush() => Flushes++;

    public void Dispose()
    {
    }
}
