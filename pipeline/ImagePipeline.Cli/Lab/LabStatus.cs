using ImagePipeline.BootService.Contract;

namespace ImagePipeline.Cli.Lab;

/// <summary><c>imagepipe lab status</c>: each lab machine as its BMC sees it (power, boot override) joined with what the boot service knows (state, image, address).</summary>
public static class LabStatus
{
    public static async Task<IReadOnlyList<LabStatusRow>> RowsAsync(LabState state, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var redfish = state.Redfish(http);
        IReadOnlyList<MachineRecord> known;
        try
        {
            known = await state.BootService(http).ListAsync(cancellationToken);
        }
        catch (HttpRequestException)
        {
            known = [];
        }

        var rows = new List<LabStatusRow>();
        foreach (var machine in state.Machines)
        {
            var system = await redfish.GetSystemAsync(machine.SystemPath, cancellationToken);
            var inventory = known.FirstOrDefault(k => k.Mac == machine.Mac);
            rows.Add(new LabStatusRow(machine.Id, machine.Profile, machine.Mac, system.PowerState ?? "?",
                system.BootSourceOverrideEnabled is "Once" or "Continuous" ? $"{system.BootSourceOverrideTarget} ({system.BootSourceOverrideEnabled})" : "-",
                inventory?.State.ToString().ToLowerInvariant() ?? "unknown", inventory?.CurrentImage, inventory?.Address, inventory?.LastError));
        }

        return rows;
    }

    public static async Task PrintAsync(LabState state, CancellationToken cancellationToken)
    {
        Console.WriteLine($"{"ID",-8} {"PROFILE",-18} {"MAC",-18} {"POWER",-6} {"BOOT OVERRIDE",-14} {"STATE",-10} {"IMAGE",-13} ADDRESS");
        foreach (var row in await RowsAsync(state, cancellationToken))
        {
            Console.WriteLine($"{row.Id,-8} {row.Profile,-18} {row.Mac,-18} {row.Power,-6} {row.BootOverride,-14} {row.State,-10} {(row.CurrentImage is { } image ? image[..12] : "-"),-13} {row.Address ?? "-"}"
                + (row.LastError is null ? "" : $"  ({row.LastError})"));
        }
    }
}
