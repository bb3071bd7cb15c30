namespace ImagePipeline.Builder.Boot;

/// <summary>A kernel's modules.dep: which module files exist and what each needs loaded first.</summary>
public sealed class KernelModules
{
    private readonly Dictionary<string, (string File, string[] Dependencies)> modules = new(StringComparer.Ordinal);
    /// <summary>modules.alias's PCI and virtio patterns by module, read on first use.</summary>
    private Dictionary<string, List<string>>? aliases;

    public KernelModules(string modulesDirectory)
    {
        Directory = modulesDirectory;
        var depFile = Path.Combine(modulesDirectory, "modules.dep");
        if (!System.IO.File.Exists(depFile))
            throw new InvalidOperationException($"{depFile} is missing; run depmod for this kernel first");
        foreach (var line in System.IO.File.ReadLines(depFile))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                continue;
            var file = line[..colon];
            var dependencies = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            modules[NameOf(file)] = (file, dependencies);
        }
    }

    public string Directory { get; }

    /// <summary>
    /// The PCI and virtio device patterns (modules.alias, glob syntax) that <paramref name="name"/>
    /// drives, or, for a module that drives none itself (mlx4_en), those of its dependencies; empty
    /// for a module tied to no device (a filesystem, a checksum, SCSI disks).
    /// </summary>
    public IReadOnlyList<string> DevicePatterns(string name)
    {
        aliases ??= ReadDeviceAliases();
        var key = NameOf(name);
        if (aliases.TryGetValue(key, out var own))
            return own;
        if (!modules.TryGetValue(key, out var entry))
            return [];
        return [.. entry.Dependencies.SelectMany(d => aliases.TryGetValue(NameOf(d), out var patterns) ? patterns : []).Distinct(StringComparer.Ordinal)];
    }

    private Dictionary<string, List<string>> ReadDeviceAliases()
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var file = Path.Combine(Directory, "modules.alias");
        if (!System.IO.File.Exists(file))
            throw new InvalidOperationException($"{file} is missing; run depmod for this kernel first");
        foreach (var line in System.IO.File.ReadLines(file))
        {
            // "alias pci:v00008086d0000100Esv*sd*bc*sc*i* e1000"
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || parts[0] != "alias" || !(parts[1].StartsWith("pci:", StringComparison.Ordinal) || parts[1].StartsWith("virtio:", StringComparison.Ordinal)))
                continue;
            var module = NameOf(parts[2]);
            if (!result.TryGetValue(module, out var patterns))
                result[module] = patterns = [];
            patterns.Add(parts[1]);
        }

        return result;
    }

    /// <summary>Module file paths (relative to the modules directory) in an order that loads each after its dependencies; names not built as modules are skipped.</summary>
    public IReadOnlyList<string> LoadOrder(IEnumerable<string> names)
    {
        var order = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Visit(string file)
        {
            if (!seen.Add(file))
                return;
            if (modules.TryGetValue(NameOf(file), out var entry))
            {
                foreach (var dependency in entry.Dependencies)
                    Visit(dependency);
            }

            order.Add(file);
        }

        foreach (var name in names)
        {
            if (modules.TryGetValue(NameOf(name), out var entry))
                Visit(entry.File);
        }

        return order;
    }

    /// <summary>"kernel/drivers/block/virtio_blk.ko" and "virtio-blk" both name virtio_blk.</summary>
    public static string NameOf(string fileOrName)
    {
        var name = Path.GetFileName(fileOrName);
        foreach (var suffix in new[] { ".ko.xz", ".ko.zst", ".ko.gz", ".ko" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
                name = name[..^suffix.Length];
        }

        return name.Replace('-', '_');
    }
}
