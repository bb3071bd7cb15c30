using ImagePipeline.BootService.Contract;

namespace ImagePipeline.Server.Fleet;

/// <summary>The boot services the server was started with (<c>--boot-service</c>, <c>--site NAME=URL</c>, their admin tokens), as clients.</summary>
public static class ConfiguredBootService
{
    /// <summary>A client of the boot service machines at <paramref name="site"/> deploy through, or null when there is none.</summary>
    public static BootServiceClient? For(ServerOptions options, IHttpClientFactory clients, string? site) =>
        options.BootServiceFor(site) is { } bootService ? Client(bootService, clients) : null;

    public static BootServiceClient Client(BootServiceSite bootService, IHttpClientFactory clients, string httpClient = "bootsvc") =>
        new(clients.CreateClient(httpClient), bootService.Url, bootService.Token);
}
