using System.Globalization;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Hardware;

/// <summary>
/// Reads what a machine is from /sys and /proc. The root is a parameter so tests read captured
/// trees; every file is optional (a value the kernel does not offer is left out, never guessed).
/// </summary>
public sealed class HardwareFactsReader(string root = "/")
{
    /// <summary>Kernel names of block devices that are not disks a machine is installed on.</summary>
    private static readonly string[] NotDisks = ["loop", "ram", "zram", "sr", "fd", "md", "dm-", "nbd"];

    public HardwareFacts Read() => new()
    {
        Firmware = Directory.Exists(PathOf("sys/firmware/efi")) ? "uefi" : "bios",
        Cpu = ReadCpu(),
        MemoryBytes = ReadMemory(),
        Disks = ReadDisks(),
        Nics = ReadNics(),
        Dmi = new DmiFacts(Text("sys/class/dmi/id/sys_vendor"), Text("sys/class/dmi/id/product_name"), Text("sys/class/dmi/id/product_serial")),
    };

    public IReadOnlyList<DiskFacts> ReadDisks()
    {
        var block = PathOf("sys/block");
        if (!Directory.Exists(block))
            return [];
        return [.. Directory.EnumerateFileSystemEntries(block)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => !NotDisks.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .Select(name => new DiskFacts
            {
                Name = name,
                // /sys/block/X/size counts 512-byte sectors whatever the device's sector size.
                SizeBytes = (Number($"sys/block/{name}/size") ?? 0) * 512,
                Model = Text($"sys/block/{name}/device/model"),
                Serial = Text($"sys/block/{name}/serial") ?? Text($"sys/block/{name}/device/serial"),
                Rotational = Number($"sys/block/{name}/queue/rotational") == 1,
                Removable = Number($"sys/block/{name}/removable") == 1,
            })];
    }

    /// <summary>Disks with a mounted filesystem on them or on one of their partitions (from /proc/mounts).</summary>
    public IReadOnlySet<string> MountedDisks()
    {
        var mounts = Text("proc/mounts", trim: false) ?? "";
        var disks = ReadDisks().Select(d => d.Name).ToList();
        var mounted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in mounts.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var source = line.Split(' ')[0];
            if (!source.StartsWith("/dev/", StringComparison.Ordinal))
                continue;
            var device = source["/dev/".Length..];
            // sda1 → sda, nvme0n1p2 → nvme0n1, vda → vda.
            var disk = disks.Where(d => device.StartsWith(d, StringComparison.Ordinal)).MaxBy(d => d.Length);
            if (disk is not null)
                mounted.Add(disk);
        }

        return mounted;
    }

    private CpuFacts ReadCpu()
    {
        var lines = (Text("proc/cpuinfo", trim: false) ?? "").Split('\n');
        var model = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var cores = lines.Count(l => l.StartsWith("processor", StringComparison.Ordinal) && l.Contains(':', StringComparison.Ordinal));
        return new CpuFacts(model, Math.Max(cores, 1));
    }

    private long ReadMemory()
    {
        var line = (Text("proc/meminfo", trim: false) ?? "").Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kib = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
        return long.TryParse(kib, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value * 1024 : 0;
    }

    private IReadOnlyList<NicFacts> ReadNics()
    {
        var net = PathOf("sys/class/net");
        if (!Directory.Exists(net))
            return [];
        // Physical NICs have a device link; lo, bridges and the like do not.
        return [.. Directory.EnumerateFileSystemEntries(net)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => Path.Exists(PathOf($"sys/class/net/{name}/device")))
            .Order(StringComparer.Ordinal)
            .Select(name => new NicFacts
            {
                Name = name,
                Mac = Text($"sys/class/net/{name}/address") ?? "",
                Driver = LinkName($"sys/class/net/{name}/device/driver"),
                SpeedMbps = Number($"sys/class/net/{name}/speed") is { } speed and > 0 ? (int)speed : null,
            })];
    }

    private string PathOf(string relative) => Path.Combine(root, relative);

    private string? Text(string relative, bool trim = true)
    {
        try
        {
            var text = File.ReadAllText(PathOf(relative));
            text = trim ? text.Trim() : text;
            return text.Length == 0 ? null : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Absent, or unreadable in this state (a NIC's speed while its link is down).
            return null;
        }
    }

    private long? Number(string relative) =>
        long.TryParse(Text(relative), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    private string? LinkName(string relative)
    {
        var link = new FileInfo(PathOf(relative)).LinkTarget ?? new DirectoryInfo(PathOf(relative)).LinkTarget;
        return link is null ? null : Path.GetFileName(link.TrimEnd('/'));
    }
}
