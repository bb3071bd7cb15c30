using ImagePipeline.BootService.Contract;
using ImagePipeline.Server.Fleet;

namespace ImagePipeline.Server.Web;

/// <summary>What the boot services say of the machines, for a page: quickly, or a line saying why not (a page must not hang on them).</summary>
public static class FleetView
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    /// <summary>Every boot service's machines by MAC; the problem names each boot service that did not answer.</summary>
    public static async Task<(Dictionary<string, MachineRecord>? Value, string? Problem)> ListAsync(ServerOptions options, IHttpClientFactory clients, CancellationToken cancellationToken)
    {
        if (options.BootServices.Count == 0)
            return (null, NoBootService);
        var machines = new Dictionary<string, MachineRecord>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var bootService in options.BootServices)
        {
            var (listed, problem) = await AskAsync(bootService, clients, (client, ct) => client.ListAsync(ct), cancellationToken);
            foreach (var machine in listed ?? [])
                machines[machine.Mac.ToLowerInvariant()] = machine;
            if (problem is not null)
                problems.Add(problem);
        }

        return (machines, problems.Count == 0 ? null : string.Join("; ", problems));
    }

    public static Task<((MachineRecord Machine, FleetFacts? Facts)? Value, string? Problem)> DetailAsync(ServerOptions options, IHttpClientFactory clients, string? site, string mac,
        CancellationToken cancellationToken) => options.BootServiceFor(site) is { } bootService
            ? AskAsync(bootService, clients, async (client, ct) => await client.GetAsync(mac, ct) is { } machine ? (machine, FleetFacts.From(machine.Facts)) : ((MachineRecord, FleetFacts?)?)null, cancellationToken)
            : Task.FromResult<((MachineRecord, FleetFacts?)?, string?)>((null, NoBootService));

    public static Task<(IReadOnlyList<MachineEvent>? Value, string? Problem)> EventsAsync(ServerOptions options, IHttpClientFactory clients, string? site, string mac,
        CancellationToken cancellationToken) => options.BootServiceFor(site) is { } bootService
            ? AskAsync(bootService, clients, (client, ct) => client.EventsAsync(mac, ct), cancellationToken)
            : Task.FromResult<(IReadOnlyList<MachineEvent>?, string?)>((null, NoBootService));

    private const string NoBootService = "no boot service configured (imagepipe server --boot-service URL): machine state is unknown";

    private static async Task<(T? Value, string? Problem)> AskAsync<T>(BootServiceSite bootService, IHttpClientFactory clients, Func<BootServiceClient, CancellationToken, Task<T>> ask,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        try
        {
            return (await ask(ConfiguredBootService.Client(bootService, clients), timeout.Token), null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return (default, $"{bootService} does not answer ({e.Message}): machine state is unknown");
        }
    }
}
