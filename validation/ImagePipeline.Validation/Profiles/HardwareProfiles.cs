using System.Globalization;
using System.Reflection;
using ImagePipeline.Validation.Machines;
using YamlDotNet.RepresentationModel;

namespace ImagePipeline.Validation.Profiles;

/// <summary>The catalogue of named virtual-hardware profiles (Profiles/catalogue.yaml), and the reader for profiles defined inline in a recipe.</summary>
public static class HardwareProfiles
{
    private static readonly string[] Fields = ["firmware", "machine", "disk", "nic", "memory", "cpus"];
    private static readonly Lazy<IReadOnlyDictionary<string, QemuMachine>> LazyCatalogue = new(LoadCatalogue);

    public static IReadOnlyDictionary<string, QemuMachine> Catalogue => LazyCatalogue.Value;

    public static QemuMachine Get(string name) =>
        Catalogue.TryGetValue(name, out var machine)
            ? machine
            : throw new ArgumentException($"unknown hardware profile '{name}'; the catalogue has: {string.Join(", ", Catalogue.Keys)}", nameof(name));

    /// <summary>A profile from its YAML mapping; errors name the field and what is allowed.</summary>
    public static QemuMachine Parse(string name, YamlMappingNode node)
    {
        var machine = QemuMachine.Create(name);
        foreach (var (keyNode, valueNode) in node.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            var value = (valueNode as YamlScalarNode)?.Value ?? throw Invalid(name, key, "a single value");
            machine = key switch
            {
                "firmware" => machine.WithFirmware(value switch { "bios" => Firmware.Bios, "uefi" => Firmware.Uefi, _ => throw Invalid(name, key, "bios or uefi") }),
                "machine" => value is "pc" or "q35" ? machine.WithMachineType(value) : throw Invalid(name, key, "pc or q35"),
                "disk" => machine.WithDiskBus(value switch
                {
                    "virtio" => DiskBus.Virtio, "sata" => DiskBus.Sata, "nvme" => DiskBus.Nvme, "scsi" => DiskBus.Scsi,
                    _ => throw Invalid(name, key, "virtio, sata, nvme or scsi"),
                }),
                "nic" => machine.WithNic(value switch
                {
                    "virtio" => NicModel.VirtioNet, "e1000" => NicModel.E1000, "rtl8139" => NicModel.Rtl8139,
                    _ => throw Invalid(name, key, "virtio, e1000 or rtl8139"),
                }),
                "memory" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mib) && mib >= 64 ? machine.WithMemory(mib) : throw Invalid(name, key, "a number of MiB, at least 64"),
                "cpus" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var cpus) && cpus is >= 1 and <= 16 ? machine.WithCpus(cpus) : throw Invalid(name, key, "1 to 16"),
                _ => throw new FormatException($"profile '{name}': unknown field '{key}'; allowed: {string.Join(", ", Fields)}"),
            };
        }

        return machine;
    }

    private static FormatException Invalid(string profile, string field, string allowed) =>
        new($"profile '{profile}': '{field}' must be {allowed}");

    private static Dictionary<string, QemuMachine> LoadCatalogue()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Profiles/catalogue.yaml")
            ?? throw new InvalidOperationException("Profiles/catalogue.yaml is missing from the build of ImagePipeline.Validation");
        using var reader = new StreamReader(stream);
        var yaml = new YamlStream();
        yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return root.Children.ToDictionary(
            entry => ((YamlScalarNode)entry.Key).Value!,
            entry => Parse(((YamlScalarNode)entry.Key).Value!, (YamlMappingNode)entry.Value),
            StringComparer.Ordinal);
    }
}
