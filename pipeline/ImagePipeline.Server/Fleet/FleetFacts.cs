using System.Globalization;
using System.Text.Json.Nodes;

namespace ImagePipeline.Server.Fleet;

/// <summary>The hardware the agent found on a machine (as the boot service keeps it), in lines people read: CPU and memory, each disk, each NIC, the DMI identity.</summary>
public sealed record FleetFacts(string Cpu, string Memory, IReadOnlyList<string> Disks, IReadOnlyList<string> Nics, string? Dmi)
{
    public static FleetFacts? From(JsonNode? facts)
    {
        if (facts is not JsonObject)
            return null;
        var cpu = $"{facts["cpu"]?["cores"]?.GetValue<int>()} cores, {facts["cpu"]?["model"]?.GetValue<string>()}";
        var memory = $"{(facts["memoryBytes"]?.GetValue<long>() ?? 0) >> 20} MiB";
        var disks = (facts["disks"] as JsonArray ?? []).OfType<JsonObject>().Select(d =>
            string.Create(CultureInfo.InvariantCulture, $"{d["name"]} {(d["sizeBytes"]?.GetValue<long>() ?? 0) / (double)(1L << 30):0.0} GiB")
            + (d["model"]?.GetValue<string>() is { Length: > 0 } model ? $", {model}" : "")
            + (d["serial"]?.GetValue<string>() is { Length: > 0 } serial ? $", serial {serial}" : "")
            + (d["removable"]?.GetValue<bool>() == true ? ", removable" : "")).ToList();
        var nics = (facts["nics"] as JsonArray ?? []).OfType<JsonObject>().Select(n =>
            $"{n["name"]} {n["mac"]}" + (n["driver"]?.GetValue<string>() is { } driver ? $", {driver}" : "")
            + (n["speedMbps"]?.GetValue<int>() is { } speed ? $", {speed} Mb/s" : "")).ToList();
        var dmi = string.Join(' ', new[] { facts["dmi"]?["vendor"]?.GetValue<string>(), facts["dmi"]?["product"]?.GetValue<string>() }.Where(p => !string.IsNullOrWhiteSpace(p)));
        return new FleetFacts(cpu, memory, disks, nics, dmi.Length == 0 ? null : dmi);
    }
}
