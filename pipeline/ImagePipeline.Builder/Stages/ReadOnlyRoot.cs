using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Stages;

/// <summary>
/// A Debian image with a read-only root (squashfs or erofs, optionally under dm-verity): its
/// initramfs (initramfs-tools, the image's own) learns to mount it. The root stays read-only;
/// <see cref="WritableDirectories"/> get a writable overlay on tmpfs in the initramfs, before
/// systemd starts, so what a running system writes (machine id, logs, network state, host keys
/// made at run time) works and is gone at the next boot — /var excepted when the disk gives it a
/// partition of its own (disk.var), which the same script mounts instead. /tmp is a tmpfs. With verity, a
/// local-top script opens the root through dm-verity with the root hash from the kernel command
/// line. The initramfs is rebuilt last in the rootfs stage, after the recipe's commands.
/// </summary>
public static class ReadOnlyRoot
{
    /// <summary>The directories of the root a running Debian system writes, each overlaid on tmpfs at boot. Everything else (/usr, /opt, /boot...) is read-only.</summary>
    public static readonly IReadOnlyList<string> WritableDirectories = ["etc", "var", "root", "home", "srv"];

    /// <summary>Kernel modules the initramfs must carry to mount such a root.</summary>
    private static readonly string[] Modules = ["squashfs", "erofs", "overlay"];

    private const string StateScript = "etc/initramfs-tools/scripts/init-bottom/imagepipeline-state";
    private const string VerityScript = "etc/initramfs-tools/scripts/local-top/imagepipeline-verity";
    private const string VerityHook = "etc/initramfs-tools/hooks/imagepipeline-verity";
    private const string ModulesFile = "etc/initramfs-tools/modules";

    /// <summary>Writes the initramfs scripts into <paramref name="tree"/> and rebuilds its initramfs for <paramref name="kernelVersion"/>.</summary>
    public static async Task ConfigureAsync(BuildContext context, string tree, string kernelVersion)
    {
        var disk = context.Recipe.Disk;
        var writable = WritableDirectories.Where(d => Directory.Exists(Path.Combine(tree, d)) && new DirectoryInfo(Path.Combine(tree, d)).LinkTarget is null).ToList();
        var lines = string.Join('\n', writable.Select(d => $"{d} {Mode(Path.Combine(tree, d))}"));
        var state = EmbeddedFiles.Read("Stages/readonly-root-state")
            .Replace("@WRITABLE@", lines, StringComparison.Ordinal);
        RootfsStage.WriteFile(tree, StateScript, state, 0b111_101_101);

        var modulesPath = Path.Combine(tree, ModulesFile);
        var modules = File.Exists(modulesPath) ? await File.ReadAllTextAsync(modulesPath, context.CancellationToken) : "";
        var missing = Modules.Where(m => !modules.Split('\n').Contains(m)).ToList();
        if (missing.Count > 0)
            RootfsStage.WriteFile(tree, ModulesFile, modules.TrimEnd('\n') + (modules.Length > 0 ? "\n" : "") + "# a read-only root (ImagePipeline)\n" + string.Join('\n', missing) + "\n", 0b110_100_100);

        if (disk.Verity)
        {
            if (!File.Exists(Path.Combine(tree, "usr/sbin/veritysetup")))
                throw new BuildStepException(RootfsStage.Name, "verity", "verity: true needs /usr/sbin/veritysetup in the image (package cryptsetup-bin), and the recipe's commands removed it", "");
            RootfsStage.WriteFile(tree, VerityScript, EmbeddedFiles.Read("Stages/readonly-root-verity"), 0b111_101_101);
            RootfsStage.WriteFile(tree, VerityHook, EmbeddedFiles.Read("Stages/readonly-root-hook"), 0b111_101_101);
        }

        context.Log.Line($"read-only {disk.Root.ToString().ToLowerInvariant()} root{(disk.Verity ? " under dm-verity" : "")}: rebuilding the initramfs for kernel {kernelVersion}");
        await RootfsStage.RunInImageAsync(context, tree, $"update-initramfs -u -k {kernelVersion}", context.ReproducibleEnvironment());
    }

    private static string Mode(string directory) =>
        Convert.ToString((int)File.GetUnixFileMode(directory) & 0b111_111_111_111, 8).PadLeft(4, '0');
}
