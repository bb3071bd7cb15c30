namespace ImagePipeline.Agent.Disks;

/// <summary><paramref name="length"/> bytes of a disk from byte <paramref name="start"/> as a read-only stream, read front to back.</summary>
public sealed class BlockDeviceStream(IBlockDevice disk, long start, long length) : Stream
{
    /// <summary>The first <paramref name="length"/> bytes of the disk.</summary>
    public BlockDeviceStream(IBlockDevice disk, long length)
        : this(disk, 0, length)
    {
    }

    private long position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var wanted = (int)Math.Min(buffer.Length, length - position);
        if (wanted <= 0)
            return 0;
        var read = disk.Read(start + position, buffer[..wanted]);
        position += read;
        return read;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
