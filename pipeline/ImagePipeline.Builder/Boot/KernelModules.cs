namespace ImagePipeline.Builder.Boot;

/// <summary>A kernel's modules.dep: which module files exist and what each needs loaded first.</summary>
public sealed class KernelModules
{
    private readonly Dictionary<string, (string File, string[] Dependencies)> modules = new(StringComparer.Ordinal);

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
