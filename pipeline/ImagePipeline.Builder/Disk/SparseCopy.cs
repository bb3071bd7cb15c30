namespace ImagePipeline.Builder.Disk;

/// <summary>Copies a filesystem image into a disk image at an offset, skipping all-zero blocks so the disk stays sparse.</summary>
public static class SparseCopy
{
    private const int BlockSize = 1 << 20;

    /// <summary>The target region must already read as zeros (a freshly extended file does).</summary>
    public static void Into(string source, string target, long offset)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BlockSize);
        using var output = new FileStream(target, FileMode.Open, FileAccess.Write, FileShare.None, BlockSize);
        var buffer = new byte[BlockSize];
        long position = 0;
        int read;
        while ((read = input.ReadAtLeast(buffer, BlockSize, throwOnEndOfStream: false)) > 0)
        {
            var block = buffer.AsSpan(0, read);
            if (block.ContainsAnyExcept((byte)0))
            {
                output.Position = offset + position;
                output.Write(block);
            }

            position += read;
        }
    }
}
