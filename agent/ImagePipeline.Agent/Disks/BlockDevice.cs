using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImagePipeline.Agent.Disks;

/// <summary>
/// A real disk (or a file). Aligned writes go through an O_DIRECT descriptor where the device
/// allows it (no page-cache copy, no dirty-page pile-up); anything unaligned, and devices or file
/// systems that refuse O_DIRECT (tmpfs), go through a normal one. Flush is fsync of both.
/// </summary>
public sealed partial class BlockDevice : IBlockDevice
{
    public const int Alignment = 4096;

    private const int OWronly = 0x1;
    private const int ORdwr = 0x2;
    private const int OCreat = 0x40;
    private const int ODirect = 0x4000;
    private const int OCloexec = 0x80000;
    private const ulong BlkGetSize64 = 0x80081272;
    private const ulong BlkRrPart = 0x125f;
    private const ulong BlkFlsBuf = 0x1261;

    private readonly SafeFileHandle buffered;
    private readonly SafeFileHandle? direct;

    private BlockDevice(string path, SafeFileHandle buffered, SafeFileHandle? direct, long length, bool isDevice, bool readsBackZeros)
    {
        Path = path;
        this.buffered = buffered;
        this.direct = direct;
        Length = length;
        IsDevice = isDevice;
        ReadsBackZeros = readsBackZeros;
    }

    public string Path { get; }
    public long Length { get; }
    public bool IsDevice { get; }
    public bool ReadsBackZeros { get; }
    public bool UsesDirectIo => direct is not null;

    /// <summary>
    /// Opens a block device, or a file standing in for one: an existing file at least
    /// <paramref name="fileLength"/> long is used as it is (like a disk, it keeps what it holds);
    /// a missing or shorter one is made a sparse file of that length, which reads back zeros.
    /// </summary>
    public static BlockDevice Open(string path, long? fileLength = null)
    {
        var isDevice = IsBlockDevice(path);
        if (!isDevice && fileLength is null)
            throw new IOException($"{path} is not a block device; to write into a file give its size");
        var fresh = !isDevice && (!File.Exists(path) || new FileInfo(path).Length < fileLength);
        var buffered = OpenHandle(path, (isDevice ? ORdwr : ORdwr | OCreat) | OCloexec);
        long length;
        if (isDevice)
        {
            if (ioctl(buffered, BlkGetSize64, out var size) != 0)
                throw new IOException($"cannot read the size of {path} (BLKGETSIZE64 errno {Marshal.GetLastPInvokeError()})");
            length = (long)size;
        }
        else if (fresh)
        {
            RandomAccess.SetLength(buffered, 0);
            RandomAccess.SetLength(buffered, fileLength!.Value);
            length = fileLength.Value;
        }
        else
        {
            length = RandomAccess.GetLength(buffered);
        }

        SafeFileHandle? direct = null;
        var fd = open(path, OWronly | ODirect | OCloexec, 0);
        if (fd >= 0)
            direct = new SafeFileHandle(fd, ownsHandle: true);
        return new BlockDevice(path, buffered, direct, length, isDevice, readsBackZeros: fresh);
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        var handle = direct is not null && IsAligned(offset, data) ? direct : buffered;
        try
        {
            RandomAccess.Write(handle, data, offset);
        }
        catch (IOException) when (handle == direct)
        {
            // Some file systems accept O_DIRECT at open and refuse it at write (EINVAL): go buffered.
            RandomAccess.Write(buffered, data, offset);
        }
    }

    public int Read(long offset, Span<byte> destination) => RandomAccess.Read(buffered, destination, offset);

    public void Flush()
    {
        if (direct is not null && fsync(direct) != 0)
            throw new IOException($"fsync of {Path} failed (errno {Marshal.GetLastPInvokeError()})");
        if (fsync(buffered) != 0)
            throw new IOException($"fsync of {Path} failed (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Asks the kernel to read the partition table again (BLKRRPART), so the new partitions appear.</summary>
    /// <summary>Drops the device's buffer cache (BLKFLSBUF): a partition read after its disk was written reads what was written.</summary>
    public static void DropBuffers(string device)
    {
        var fd = open(device, 0 | OCloexec, 0);
        if (fd < 0)
            return;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        _ = ioctl(handle, BlkFlsBuf, out _);
    }

    public bool RereadPartitionTable() => IsDevice && ioctl(buffered, BlkRrPart, out _) == 0;

    public void Dispose()
    {
        direct?.Dispose();
        buffered.Dispose();
    }

    private static unsafe bool IsAligned(long offset, ReadOnlySpan<byte> data)
    {
        fixed (byte* pointer = data)
            return offset % Alignment == 0 && data.Length % Alignment == 0 && (nint)pointer % Alignment == 0;
    }

    private static bool IsBlockDevice(string path) => stat(path, out var mode) == 0 && (mode & 0xF000) == 0x6000;

    private static SafeFileHandle OpenHandle(string path, int flags)
    {
        var fd = open(path, flags, 0b110_100_100);
        if (fd < 0)
            throw new IOException($"cannot open {path} (errno {Marshal.GetLastPInvokeError()}); is it in use, and is the agent root?");
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>st_mode of a path (statx would do as well; the struct layout is fixed on x86-64).</summary>
    private static unsafe int stat(string path, out uint mode)
    {
        var buffer = stackalloc byte[256];
        var result = stat_native(path, buffer);
        mode = result == 0 ? *(uint*)(buffer + 24) : 0;
        return result;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int stat_native(string path, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(SafeFileHandle fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(SafeFileHandle fd, ulong request, out ulong value);
}
