using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Boot;

/// <summary>
/// Configuration for the two boot loaders on the ESP, which share one kernel and one initrd:
/// systemd-boot for UEFI (removable-media path EFI/BOOT/BOOTX64.EFI, no NVRAM entry needed) and
/// SYSLINUX for legacy BIOS (gptmbr.bin in the MBR chains to the ESP marked legacy-bootable).
/// </summary>
public static class BootLoaders
{
    public const string Kernel = "vmlinuz";
    public const string Initrd = "initrd.img";
    public const string SystemdBootEfi = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";
    public const string GptMbr = "/usr/lib/syslinux/mbr/gptmbr.bin";

    /// <summary>The device a verity root's initramfs opens it as (Stages/Resources/readonly-root-verity); root= names it.</summary>
    public const string VerityDevice = "/dev/mapper/imagepipeline-root";

    /// <summary>The kernel argument that carries the root hash (the report agent reads it to know the root must be verified).</summary>
    public const string VerityRootHashArgument = "imagepipeline.verity";

    /// <param name="root">where the root is: <see cref="RootArguments"/></param>
    public static string KernelCommandLine(string root, string extra)
    {
        // The last console= is /dev/console: the serial line, where validation and operators read.
        var line = $"{root} console=tty0 console=ttyS0,115200 panic=10";
        return extra.Length > 0 ? $"{line} {extra}" : line;
    }

    /// <summary>
    /// The command line's root: the root partition, read-write (ext4; busybox's initramfs puts its
    /// own overlay on a squashfs), read-only (a Debian squashfs or erofs root), or the dm-verity
    /// device with the partitions and the root hash the initramfs opens it with
    /// (Stages/ReadOnlyRoot.cs).
    /// </summary>
    /// <param name="varPartition">a read-only root's /var partition (disk.var), which the initramfs mounts in place of the /var overlay</param>
    public static string RootArguments(Recipe recipe, Guid rootPartition, Guid? verityPartition = null, string? rootHash = null, Guid? varPartition = null)
    {
        var disk = recipe.Disk;
        var fsType = disk.Root.ToString().ToLowerInvariant();
        var var = varPartition is { } partition ? $" {VarPartitionArgument}=PARTUUID={partition:D}" : "";
        if (!disk.ReadOnlyRoot || recipe.Base.Kind == BaseKind.Busybox)
            return $"root=PARTUUID={rootPartition:D} rootfstype={fsType} rw";
        if (!disk.Verity)
            return $"root=PARTUUID={rootPartition:D} rootfstype={fsType} ro{var}";
        if (verityPartition is null || rootHash is null)
            throw new ArgumentException("a verity root needs its hash partition and root hash", nameof(rootHash));
        return $"root={VerityDevice} rootfstype={fsType} ro {VerityRootHashArgument}={rootHash} imagepipeline.verity.data=PARTUUID={rootPartition:D} imagepipeline.verity.hash=PARTUUID={verityPartition:D}{var}";
    }

    /// <summary>The command line's argument naming the /var partition.</summary>
    public const string VarPartitionArgument = "imagepipeline.var";

    public static string SystemdBootLoaderConf(string entry) =>
        $"default {entry}.conf\ntimeout 0\neditor no\nconsole-mode keep\n";

    public static string SystemdBootEntry(string title, string commandLine) =>
        $"title {title}\nlinux /{Kernel}\ninitrd /{Initrd}\noptions {commandLine}\n";

    public static string SyslinuxConfig(string commandLine) =>
        $"SERIAL 0 115200\nPROMPT 0\nTIMEOUT 0\nDEFAULT image\nLABEL image\n  LINUX /{Kernel}\n  INITRD /{Initrd}\n  APPEND {commandLine}\n";
}
