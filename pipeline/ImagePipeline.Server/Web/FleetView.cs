using ImagePipeline.Server.Fleet;

namespace ImagePipeline.Server.Web;

/// <summary>What the boot service says of the machines, for a page: quickly, or a line saying why not (a page must not hang on it).</summary>
public static class FleetView
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    public static async Task<(Dictionary<string, FleetMachine> Machines, string? Problem)> ListAsync(ServerOptions options, IHttpClientFactory clients, CancellationToken cancellationToken)
    {
        if (BootServiceApi.Configured(options, clients) is not { } bootService)
            return ([], "no boot service configured (imagepipe server --boot-service URL): machine state is unknown");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        try
        {
            return ((await bootService.ListAsync(timeout.Token)).ToDictionary(m => m.Mac.ToLowerInvariant()), null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
        {
            return ([], $"the boot service at {options.BootServiceUrl} does not answer ({e.Message}): machine state is unknown");
        }
    }

    public static async Task<FleetFacts?> FactsAsync(ServerOptions options, IHttpClientFactory clients, string mac, CancellationToken cancellationToken)
    {
        if (BootServiceApi.Configured(options, clients) is not { } bootService)
            return null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        try
        {
            return await bootService.FactsAsync(mac, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    public static async Task<(IReadOnlyList<FleetEvent> Events, string? Problem)> EventsAsync(ServerOptions options, IHttpClientFactory clients, string mac, CancellationToken cancellationToken)
    {
        if (BootServiceApi.Configured(options, clients) is not { } bootService)
            return ([], "no boot service configured");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        try
        {
            return (await bootService.EventsAsync(mac, timeout.Token), null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
        {
            return ([], $"the boot service does not answer ({e.Message})");
        }
    }
}
