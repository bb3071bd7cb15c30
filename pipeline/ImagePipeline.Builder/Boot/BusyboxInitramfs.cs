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
    /// symlink per applet, <paramref name="modules"/> (with their dependencies) flat in
    /// /lib/modules, and <c>/bin/load-drivers</c>, which the init runs to load them: the drivers
    /// of the hardware present (<c>/etc/modules.aliases</c>: each driver's PCI and virtio device
    /// patterns from modules.alias) and those tied to no device, each after its dependencies
    /// (<c>/etc/modules.sets</c>: a module, "hw" or "always", and the files to insmod).
    /// </summary>
    internal static async Task WriteBusyboxSystemAsync(BuildContext context, CpioNewcWriter cpio, string tree, string kernelVersion,
        IEnumerable<string> modules, IEnumerable<string> extraDirectories)
    {
        var modulesDir = Path.Combine(tree, "lib/modules", kernelVersion);
        var kernelModules = new KernelModules(modulesDir);
        var requested = modules.ToList();
        var order = kernelModules.LoadOrder(requested);
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

        foreach (var module in order)
        {
            var name = Path.GetFileName(module);
            if (!name.EndsWith(".ko", StringComparison.Ordinal))
                throw new Tools.BuildStepException(BaseRootfsStage.Name, "initramfs", $"module {module} is compressed; busybox insmod loads only uncompressed .ko files", "");
            cpio.File($"lib/modules/{name}", await File.ReadAllBytesAsync(Path.Combine(modulesDir, module), context.CancellationToken), 0b110_100_100);
        }

        var sets = new System.Text.StringBuilder();
        var aliases = new System.Text.StringBuilder();
        var hardware = 0;
        foreach (var name in requested.Select(KernelModules.NameOf).Distinct(StringComparer.Ordinal))
        {
            var files = kernelModules.LoadOrder([name]).Select(Path.GetFileName).ToList();
            if (files.Count == 0)
                continue;
            var patterns = kernelModules.DevicePatterns(name);
            sets.Append(name).Append(patterns.Count > 0 ? " hw " : " always ").AppendJoin(' ', files).Append('\n');
            foreach (var pattern in patterns)
                aliases.Append(pattern).Append(' ').Append(name).Append('\n');
            hardware += patterns.Count > 0 ? 1 : 0;
        }

        cpio.File("etc/modules.sets", System.Text.Encoding.UTF8.GetBytes(sets.ToString()), 0b110_100_100);
        cpio.File("etc/modules.aliases", System.Text.Encoding.UTF8.GetBytes(aliases.ToString()), 0b110_100_100);
        cpio.File("bin/load-drivers", System.Text.Encoding.UTF8.GetBytes(EmbeddedFiles.Read("Boot/load-drivers.sh")), 0b111_101_101);
        context.Log.Line($"initramfs: busybox and {order.Count} modules ({hardware} drivers loaded only for hardware present)");
    }
}
