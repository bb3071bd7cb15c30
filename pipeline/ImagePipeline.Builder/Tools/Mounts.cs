using CliWrap;

namespace ImagePipeline.Builder.Tools;

/// <summary>
/// Mounts the builder makes (overlays of a base and its changes, /proc, /sys and /dev in a chroot)
/// and their removal. A build killed mid-way leaves its mounts; before anything deletes a
/// temporary directory, every mount beneath it is lazily unmounted — deleting through a bind
/// mount of /dev would delete the host's device nodes.
/// </summary>
public static class Mounts
{
    public static async Task OverlayAsync(string mountPoint, IReadOnlyList<string> lowerDirectories, string? upperDirectory, string? workDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(mountPoint);
        var options = "lowerdir=" + string.Join(':', lowerDirectories.Select(Escape));
        options += upperDirectory is null ? ",ro" : $",upperdir={Escape(upperDirectory)},workdir={Escape(workDirectory!)}";
        var result = await Cli.Wrap("mount").WithArguments(["-t", "overlay", "overlay", "-o", options, mountPoint])
            .WithValidation(CommandResultValidation.None)
            .WithStandardErrorPipe(PipeTarget.Null)
            .ExecuteAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new BuildStepException("mount", $"mount -t overlay overlay -o {options} {mountPoint}", "could not mount an overlay; the builder needs root and a kernel with overlayfs", "");
    }

    /// <summary>Lazily unmounts every mount at or below <paramref name="path"/>, deepest first.</summary>
    public static void UnmountUnder(string path)
    {
        var root = Path.GetFullPath(path).TrimEnd('/');
        List<string> mounted;
        try
        {
            mounted = File.ReadAllLines("/proc/self/mountinfo")
                .Select(line => line.Split(' '))
                .Where(fields => fields.Length > 4)
                .Select(fields => Unescape(fields[4]))
                .Where(point => point == root || point.StartsWith(root + "/", StringComparison.Ordinal))
                .OrderByDescending(point => point.Length)
                .ToList();
        }
        catch (IOException)
        {
            return;
        }

        foreach (var point in mounted)
        {
            Cli.Wrap("umount").WithArguments(["-l", point]).WithValidation(CommandResultValidation.None)
                .ExecuteAsync().Task.GetAwaiter().GetResult();
        }
    }

    /// <summary>overlayfs options are comma-separated and its layers colon-separated: escape both.</summary>
    private static string Escape(string path) => path.Replace(",", "\\,", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal (\040...).</summary>
    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
