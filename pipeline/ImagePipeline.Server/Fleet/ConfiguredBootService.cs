using ImagePipeline.BootService.Contract;

namespace ImagePipeline.Server.Fleet;

/// <summary>The boot services the server was started with (<c>--boot-service</c>, <c>--site NAME=URL</c>, their admin tokens), as clients.</summary>
public static class ConfiguredBootService
{
    /// <summary>A client of <paramref name="bootService"/>'s operator API, with its admin token, on the named HTTP client.</summary>
    public static BootServiceClient Client(BootServiceSite bootService, IHttpClientFactory clients, string httpClient = "bootsvc") =>
        new(clients.CreateClient(httpClient), bootService.Url, bootService.Token);
}
