namespace ImagePipeline.Agent.Disks;

/// <summary>The write target: a disk, or a file standing in for one.</summary>
public interface IBlockDevice : IDisposable
{
    string Path { get; }
    long Length { get; }
    /// <summary>Unwritten ranges read back as zeros (a fresh sparse file): all-zero chunks may be skipped.</summary>
    bool ReadsBackZeros { get; }
    /// <summary>Writes at an offset; offsets and lengths that are multiples of 4 KiB, from 4 KiB-aligned memory, go around the page cache.</summary>
    void Write(long offset, ReadOnlySpan<byte> data);
    int Read(long offset, Span<byte> destination);
    /// <summary>Everything written so far is on the device (fsync).</summary>
    void Flush();
}
