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

    public static string KernelCommandLine(Guid rootPartition, string rootFsType, string extra)
    {
        // The last console= is /dev/console: the serial line, where validation and operators read.
        var line = $"root=PARTUUID={rootPartition:D} rootfstype={rootFsType} rw console=tty0 console=ttyS0,115200 panic=10";
        return extra.Length > 0 ? $"{line} {extra}" : line;
    }

    public static string SystemdBootLoaderConf(string entry) =>
        $"default {entry}.conf\ntimeout 0\neditor no\nconsole-mode keep\n";

    public static string SystemdBootEntry(string title, string commandLine) =>
        $"title {title}\nlinux /{Kernel}\ninitrd /{Initrd}\noptions {commandLine}\n";

    public static string SyslinuxConfig(string commandLine) =>
        $"SERIAL 0 115200\nPROMPT 0\nTIMEOUT 0\nDEFAULT image\nLABEL image\n  LINUX /{Kernel}\n  INITRD /{Initrd}\n  APPEND {commandLine}\n";
}
