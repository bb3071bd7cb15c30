using ImagePipeline.Builder.Stages;
using ImagePipeline.Builder.Tools;

namespace ImagePipeline.Builder.Boot;

/// <summary>
/// The initramfs of a busybox image: busybox, the storage and filesystem drivers needed to reach
/// the root partition on virtio, SATA, SCSI or NVMe, and an init that finds root by PARTUUID.
/// Written to <c>/boot/initrd.img-VERSION</c>, where Debian's own initramfs would be.
/// </summary>
public static class BusyboxInitramfs
{
    /// <summary>Drivers for every disk bus in the hardware catalogue, the root filesystems, and ext4's checksum.</summary>
    private static readonly string[] BootModules =
    [
        "virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "ahci", "ata_piix", "nvme",
        "crc32c_generic", "crc32c_intel", "ext4", "squashfs", "overlay",
    ];

    private static readonly string[] BaseDirectories = ["bin", "dev", "etc", "lib", "lib/modules", "proc", "sys"];

    public static async Task BuildAsync(BuildContext context, string tree, string kernelVersion)
    {
        var target = Path.Combine(tree, "boot", $"initrd.img-{kernelVersion}");
        await using var output = new FileStream(target, FileMode.Create, FileAccess.Write);
        var cpio = new CpioNewcWriter(output, context.SourceDateEpoch);
        await WriteBusyboxSystemAsync(context, cpio, tree, kernelVersion, BootModules, ["newroot"]);
        cpio.File("init", System.Text.Encoding.UTF8.GetBytes(EmbeddedFiles.Read("Boot/busybox-initramfs-init.sh")), 0b111_101_101);
        cpio.Finish();
    }

    /// <summary>
    /// The part every busybox initramfs shares: the base directories, /dev/console, busybox and a
    /// symlink per applet, and <paramref name="modules"/> (with their dependencies, in load order)
    /// flat in /lib/modules with /etc/modules.order for the init to insmod.
    /// </summary>
    internal static async Task WriteBusyboxSystemAsync(BuildContext context, CpioNewcWriter cpio, string tree, string kernelVersion,
        IEnumerable<string> modules, IEnumerable<string> extraDirectories)
    {
        var modulesDir = Path.Combine(tree, "lib/modules", kernelVersion);
        var order = new KernelModules(modulesDir).LoadOrder(modules);
        var applets = (await context.RunAsync(BaseRootfsStage.Name, Path.Combine(tree, "bin/busybox"), "--list"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(a => a != "busybox")
            .Order(StringComparer.Ordinal);
        foreach (var dir in BaseDirectories.Concat(extraDirectories))
            cpio.Directory(dir);
        cpio.CharDevice("dev/console", 5, 1, 0b110_000_000);
        cpio.File("bin/busybox", await File.ReadAllBytesAsync(Path.Combine(tree, "bin/busybox"), context.CancellationToken), 0b111_101_101);
        foreach (var applet in applets)
            cpio.Symlink($"bin/{applet}", "busybox");

        var flat = new List<string>();
        foreach (var module in order)
        {
            var name = Path.GetFileName(module);
            if (!name.EndsWith(".ko", StringComparison.Ordinal))
                throw new Tools.BuildStepException(BaseRootfsStage.Name, "initramfs", $"module {module} is compressed; busybox insmod loads only uncompressed .ko files", "");
            cpio.File($"lib/modules/{name}", await File.ReadAllBytesAsync(Path.Combine(modulesDir, module), context.CancellationToken), 0b110_100_100);
            flat.Add(name);
        }

        cpio.File("etc/modules.order", System.Text.Encoding.UTF8.GetBytes(string.Join('\n', flat) + "\n"), 0b110_100_100);
        context.Log.Line($"initramfs: busybox and {flat.Count} modules");
    }
}
