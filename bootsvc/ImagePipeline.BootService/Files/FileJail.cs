using System.Runtime.InteropServices;

namespace ImagePipeline.BootService.Files;

/// <summary>
/// Serves files from one directory and nothing outside it, for TFTP and HTTP alike. A request is
/// a relative path of plain segments: no leading '/', no '..', no backslash, no NUL. It is then
/// resolved by realpath(3) — every symlink followed — and must still lie inside the root and be a
/// regular file; a symlink pointing out of the root is refused like '..'.
/// </summary>
public sealed partial class FileJail
{
    public FileJail(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"the file root '{root}' does not exist; create it or point the boot service at another directory");
        Root = RealPath(Path.GetFullPath(root)) ?? throw new DirectoryNotFoundException($"cannot resolve the file root '{root}'");
    }

    /// <summary>The root with all symlinks resolved.</summary>
    public string Root { get; }

    /// <summary>The real path of a file inside the jail, or a refusal saying why.</summary>
    public FileLookup Resolve(string requested)
    {
        if (string.IsNullOrEmpty(requested))
            return FileLookup.Refused("empty file name");
        if (requested.Contains('\0', StringComparison.Ordinal) || requested.Contains('\\', StringComparison.Ordinal))
            return FileLookup.Refused("file names may not contain NUL or backslash");
        if (requested.StartsWith('/'))
            return FileLookup.Refused("absolute paths are refused; ask for a path relative to the boot root");
        var segments = requested.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s == ".."))
            return FileLookup.Refused("'..' is refused; paths stay inside the boot root");
        var candidate = Path.Combine([Root, .. segments]);
        var real = RealPath(candidate);
        if (real is null)
            return FileLookup.Missing();
        if (real != Root && !real.StartsWith(Root + "/", StringComparison.Ordinal))
            return FileLookup.Refused("the path leads out of the boot root through a symlink");
        var info = new FileInfo(real);
        return info.Exists ? FileLookup.Found(info) : FileLookup.Missing();
    }

    private static unsafe string? RealPath(string path)
    {
        var resolved = realpath(path, 0);
        if (resolved == 0)
            return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint realpath(string path, nint resolved);

    [LibraryImport("libc")]
    private static partial void free(nint pointer);
}
