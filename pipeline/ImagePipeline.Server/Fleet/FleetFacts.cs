using System.Globalization;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Server.Fleet;

/// <summary>The hardware the agent found on a machine (as the boot service keeps it), in lines people read: CPU and memory, each disk, each NIC, the DMI identity.</summary>
public sealed record FleetFacts(string Cpu, string Memory, IReadOnlyList<string> Disks, IReadOnlyList<string> Nics, string? Dmi)
{
    public static FleetFacts? From(HardwareFacts? facts)
    {
        if (facts is null)
            return null;
        var cpu = $"{facts.Cpu.Cores} cores, {facts.Cpu.Model}";
        var memory = $"{facts.MemoryBytes >> 20} MiB";
        var disks = facts.Disks.Select(d =>
            string.Create(CultureInfo.InvariantCulture, $"{d.Name} {d.SizeBytes / (double)(1L << 30):0.0} GiB")
            + (d.Model is { Length: > 0 } model ? $", {model}" : "")
            + (d.Serial is { Length: > 0 } serial ? $", serial {serial}" : "")
            + (d.Removable ? ", removable" : "")).ToList();
        var nics = facts.Nics.Select(n =>
            $"{n.Name} {n.Mac}" + (n.Driver is { } driver ? $", {driver}" : "")
            + (n.SpeedMbps is { } speed ? $", {speed} Mb/s" : "")).ToList();
        var dmi = string.Join(' ', new[] { facts.Dmi.Vendor, facts.Dmi.Product }.Where(p => !string.IsNullOrWhiteSpace(p)));
        return new FleetFacts(cpu, memory, disks, nics, dmi.Length == 0 ? null : dmi);
    }
}
