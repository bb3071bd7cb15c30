using ImagePipeline.Builder.Tools;

namespace ImagePipeline.Builder.Boot;

/// <summary>
/// A busybox image is meant to be small: of the generic kernel's ~390 MB of modules it keeps the
/// ones a server can need to reach its disks and network (storage, NICs, virtio, filesystems,
/// networking) and drops graphics, sound, media, wireless and the like (~160 MB remain).
/// </summary>
public static class KernelModulePruning
{
    /// <summary>Top-level directories under <c>kernel/</c> kept whole.</summary>
    private static readonly string[] KeptTopLevel = ["arch", "block", "crypto", "fs", "lib", "mm", "net", "virt", "drivers"];

    /// <summary>Directories under <c>kernel/drivers/</c> kept: storage, NICs, buses and what NIC drivers depend on (PTP, PPS, DCA, I2C).</summary>
    private static readonly string[] KeptDrivers =
    [
        "acpi", "ata", "base", "block", "cdrom", "char", "dca", "firmware", "hv", "i2c", "md", "net", "nvme",
        "pci", "platform", "ptp", "pps", "scsi", "virtio", "nvdimm", "dax",
    ];

    /// <summary>Under <c>kernel/drivers/net/</c>: radios and USB dongles are not how servers are provisioned.</summary>
    private static readonly string[] DroppedNetDrivers = ["wireless", "usb", "can", "wwan", "ieee802154"];

    public static void Prune(string modulesDirectory, BuildLog log)
    {
        var kernel = Path.Combine(modulesDirectory, "kernel");
        if (!Directory.Exists(kernel))
            return;
        var removed = new List<string>();
        removed.AddRange(RemoveExcept(kernel, KeptTopLevel));
        removed.AddRange(RemoveExcept(Path.Combine(kernel, "drivers"), KeptDrivers));
        foreach (var name in DroppedNetDrivers)
        {
            var dir = Path.Combine(kernel, "drivers", "net", name);
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
                removed.Add("drivers/net/" + name);
            }
        }

        log.Line($"kernel modules pruned for a small image: {string.Join(' ', removed)}");
    }

    private static IEnumerable<string> RemoveExcept(string directory, string[] kept)
    {
        if (!Directory.Exists(directory))
            yield break;
        foreach (var entry in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(entry);
            if (kept.Contains(name))
                continue;
            Directory.Delete(entry, recursive: true);
            yield return name;
        }
    }
}
