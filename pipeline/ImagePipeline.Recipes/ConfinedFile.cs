using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImagePipeline.Recipes;

/// <summary>How a path is resolved inside its root (openat2(2) resolve flags).</summary>
public enum ConfinedResolve
{
    /// <summary>
    /// Nothing may leave the root: an absolute symlink, or '..' above it, is refused
    /// (RESOLVE_BENEATH). For a recipe's repository: its sources are its own files.
    /// </summary>
    Beneath,

    /// <summary>
    /// The root is treated as '/': an absolute symlink or '..' resolves inside it, as it will on the
    /// machine that boots the tree (RESOLVE_IN_ROOT). For reading an image's tree from the host.
    /// </summary>
    InRoot,
}

/// <summary>
/// Reads a regular file by a path that the kernel resolves inside a root directory, so a symlink
/// (planted by a recipe's repository, or by a recipe's commands inside an image tree) cannot make
/// the host read its own files — the signing key among them. The resolution is openat2(2)'s, not a
/// check made beforehand, so nothing can swap a symlink in between; magic links
/// (/proc/self/root and the like) and other mounts are refused too. Only regular files are
/// read: a device node or a FIFO in the tree is refused, not read forever.
/// </summary>
public static partial class ConfinedFile
{
    /// <summary>Reads the whole file, refusing one larger than <paramref name="maxBytes"/>.</summary>
    public static byte[] ReadAllBytes(string root, string relativePath, ConfinedResolve resolve, long maxBytes)
    {
        using var stream = OpenRead(root, relativePath, resolve);
        if (stream.Length > maxBytes)
            throw new ConfinedFileException($"'{relativePath}' is {stream.Length} bytes; at most {maxBytes} are read");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Copies the file to <paramref name="destination"/> (replaced if present).</summary>
    public static void CopyTo(string root, string relativePath, ConfinedResolve resolve, string destination)
    {
        using var source = OpenRead(root, relativePath, resolve);
        using var target = new FileStream(destination, FileMode.Create, FileAccess.Write);
        source.CopyTo(target);
    }

    /// <summary>Opens the file for reading; <see cref="ConfinedFileException"/> says why it cannot be.</summary>
    public static FileStream OpenRead(string root, string relativePath, ConfinedResolve resolve)
    {
        if (relativePath.Contains('\0', StringComparison.Ordinal))
            throw new ConfinedFileException($"'{relativePath}' contains NUL");
        var directory = open(root, OpenPath | OpenDirectory | OpenCloseOnExec);
        if (directory < 0)
            throw new ConfinedFileException($"cannot open the directory '{root}': {Marshal.GetLastPInvokeErrorMessage()}");
        int fd;
        try
        {
            var how = new OpenHow
            {
                Flags = OpenReadOnly | OpenCloseOnExec | OpenNoControllingTerminal | OpenNonBlocking,
                Resolve = ResolveNoMagicLinks | ResolveNoCrossDevice | (resolve == ConfinedResolve.Beneath ? ResolveBeneath : ResolveInRoot),
            };
            fd = (int)syscall(SysOpenat2, directory, relativePath, ref how, (nuint)Marshal.SizeOf<OpenHow>());
            if (fd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new ConfinedFileException(errno switch
                {
                    ErrorCrossDevice => resolve == ConfinedResolve.Beneath
                        ? $"'{relativePath}' leads outside {root} (through '..', an absolute path or a symlink); keep it inside"
                        : $"'{relativePath}' crosses onto another mount; it is not part of the tree",
                    ErrorLoop => $"'{relativePath}' goes through too many or forbidden symlinks (/proc magic links are refused)",
                    ErrorNoEntry => $"'{relativePath}' does not exist under {root}",
                    ErrorNoSystemCall => "this kernel has no openat2(2) (Linux 5.6 or newer is needed to read files confined to a directory)",
                    _ => $"cannot open '{relativePath}' under {root}: {Marshal.GetPInvokeErrorMessage(errno)}",
                });
            }
        }
        finally
        {
            close(directory);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var status = new byte[256];
            if (statx(fd, "", AtEmptyPath, StatxType, status) != 0)
                throw new ConfinedFileException($"cannot stat '{relativePath}': {Marshal.GetLastPInvokeErrorMessage()}");
            var type = BitConverter.ToUInt16(status, StatxModeOffset) & FileTypeMask;
            if (type != RegularFile)
                throw new ConfinedFileException($"'{relativePath}' under {root} is not a regular file (a directory, device or FIFO is not read)");
            return new FileStream(handle, FileAccess.Read);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    private const long SysOpenat2 = 437; // the same number on every Linux architecture (added after the table was unified)
    private const ulong OpenReadOnly = 0;
    private const int OpenPath = 0x200000;
    private const int OpenDirectory = 0x10000;
    private const int OpenCloseOnExec = 0x80000;
    private const int OpenNoControllingTerminal = 0x100;
    private const int OpenNonBlocking = 0x800;
    private const ulong ResolveNoCrossDevice = 0x01;
    private const ulong ResolveNoMagicLinks = 0x02;
    private const ulong ResolveBeneath = 0x08;
    private const ulong ResolveInRoot = 0x10;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28; // struct statx: mask, blksize, attributes, nlink, uid, gid, then the 16-bit mode
    private const int FileTypeMask = 0xF000;
    private const int RegularFile = 0x8000;
    private const int ErrorNoEntry = 2;
    private const int ErrorCrossDevice = 18;
    private const int ErrorLoop = 40;
    private const int ErrorNoSystemCall = 38;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial long syscall(long number, int directory, string path, ref OpenHow how, nuint size);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int directory, string path, int flags, uint mask, [Out] byte[] buffer);
}

/// <summary>A confined file that cannot be read, with the reason.</summary>
public sealed class ConfinedFileException(string message) : IOException(message);
