using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImagePipeline.Builder.Caching;

/// <summary>
/// An flock(2) on a file: shared by the builds that use a cache entry, exclusive for whoever
/// produces or removes one. The kernel drops it when its holder dies, on any host that mounts the
/// data directory (NFSv4 carries flock as a lock of its own), so liveness never depends on a
/// process id that only means something on one machine.
/// </summary>
public sealed partial class FileLease : IDisposable
{
    private readonly SafeFileHandle handle;

    private FileLease(SafeFileHandle handle) => this.handle = handle;

    /// <summary>The lease, or null when another holder's lease conflicts (never waits).</summary>
    public static FileLease? TryAcquire(string path, bool exclusive)
    {
        // open(2) itself, not FileStream: .NET takes an flock of its own on open, which would meet ours.
        var fd = open(path, OpenReadWrite | OpenCreate | OpenCloseOnExec, 0b110_100_100);
        if (fd < 0)
            throw new IOException($"cannot open {path}: {Marshal.GetLastPInvokeErrorMessage()}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (flock(handle, (exclusive ? LockExclusive : LockShared) | LockNonBlocking) == 0)
            return new FileLease(handle);
        var errno = Marshal.GetLastPInvokeError();
        handle.Dispose();
        return errno == WouldBlock ? null : throw new IOException($"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>Waits (polling, so cancellation works) until the lease is granted.</summary>
    public static async Task<FileLease> AcquireAsync(string path, bool exclusive, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryAcquire(path, exclusive) is { } lease)
                return lease;
            await Task.Delay(100, cancellationToken);
        }
    }

    public void Dispose() => handle.Dispose();

    private const int LockShared = 1;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int WouldBlock = 11;
    private const int OpenReadWrite = 2;
    private const int OpenCreate = 0x40;
    private const int OpenCloseOnExec = 0x80000;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(SafeFileHandle fd, int operation);
}
