using ImagePipeline.BootService.Contract;
using ImagePipeline.Server.Fleet;

namespace ImagePipeline.Server.Web;

/// <summary>What the boot service says of the machines, for a page: quickly, or a line saying why not (a page must not hang on it).</summary>
public static class FleetView
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    public static Task<(Dictionary<string, MachineRecord>? Value, string? Problem)> ListAsync(ServerOptions options, IHttpClientFactory clients, CancellationToken cancellationToken) =>
        AskAsync(options, clients, async (bootService, ct) => (await bootService.ListAsync(ct)).ToDictionary(m => m.Mac.ToLowerInvariant()), cancellationToken);

    public static Task<((MachineRecord Machine, FleetFacts? Facts)? Value, string? Problem)> DetailAsync(ServerOptions options, IHttpClientFactory clients, string mac,
        CancellationToken cancellationToken) => AskAsync(options, clients, async (bootService, ct) =>
            await bootService.GetAsync(mac, ct) is { } machine ? (machine, FleetFacts.From(machine.Facts)) : ((MachineRecord, FleetFacts?)?)null, cancellationToken);

    public static Task<(IReadOnlyList<MachineEvent>? Value, string? Problem)> EventsAsync(ServerOptions options, IHttpClientFactory clients, string mac, CancellationToken cancellationToken) =>
        AskAsync(options, clients, (bootService, ct) => bootService.EventsAsync(mac, ct), cancellationToken);

    private static async Task<(T? Value, string? Problem)> AskAsync<T>(ServerOptions options, IHttpClientFactory clients, Func<BootServiceClient, CancellationToken, Task<T>> ask,
        CancellationToken cancellationToken)
    {
        if (ConfiguredBootService.From(options, clients) is not { } bootService)
            return (default, "no boot service configured (imagepipe server --boot-service URL): machine state is unknown");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        try
        {
            return (await ask(bootService, timeout.Token), null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return (default, $"the boot service at {options.BootServiceUrl} does not answer ({e.Message}): machine state is unknown");
        }
    }
}
