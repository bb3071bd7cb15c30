using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImagePipeline.Builder.Disk;

/// <summary>
/// Copies a filesystem image into a disk image at an offset. Only the source's data extents are
/// read (lseek SEEK_DATA/SEEK_HOLE), and all-zero blocks inside them are skipped, so a mostly
/// empty 2 GiB root filesystem costs what its files cost and the disk stays sparse.
/// </summary>
public static partial class SparseCopy
{
    private const int BlockSize = 1 << 20;
    private const int SeekData = 3;
    private const int SeekHole = 4;

    /// <summary>The target region must already read as zeros (a freshly extended file does).</summary>
    public static void Into(string source, string target, long offset)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 0);
        using var output = new FileStream(target, FileMode.Open, FileAccess.Write, FileShare.None, 0);
        var buffer = new byte[BlockSize];
        var length = input.Length;
        long position = 0;
        while (position < length)
        {
            var dataStart = Seek(input.SafeFileHandle, position, SeekData);
            if (dataStart < 0)
                break; // no data after position: the rest is a hole
            var dataEnd = Math.Min(Seek(input.SafeFileHandle, dataStart, SeekHole) is var hole and >= 0 ? hole : length, length);
            for (var at = dataStart; at < dataEnd;)
            {
                var count = (int)Math.Min(BlockSize, dataEnd - at);
                var read = RandomAccess.Read(input.SafeFileHandle, buffer.AsSpan(0, count), at);
                if (read <= 0)
                    throw new IOException($"{source} ended at {at} inside a data extent");
                var block = buffer.AsSpan(0, read);
                if (block.ContainsAnyExcept((byte)0))
                    RandomAccess.Write(output.SafeFileHandle, block, offset + at);
                at += read;
            }

            position = dataEnd;
        }
    }

    /// <summary>lseek(2); -1 with ENXIO means "no more data" for SEEK_DATA.</summary>
    private static long Seek(SafeFileHandle handle, long offset, int whence) => LSeek(handle, offset, whence);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(SafeFileHandle fd, long offset, int whence);
}
