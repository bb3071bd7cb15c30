using ImagePipeline.BootService.Contract;

namespace ImagePipeline.Server.Fleet;

/// <summary>The boot service the server was started with (<c>--boot-service</c>, its admin token).</summary>
public static class ConfiguredBootService
{
    /// <summary>A client of the configured boot service, or null when none was given.</summary>
    /// <param name="httpClient">the named HTTP client to call it with</param>
    public static BootServiceClient? From(ServerOptions options, IHttpClientFactory clients, string httpClient = "bootsvc") =>
        options.BootServiceUrl is null ? null : new BootServiceClient(clients.CreateClient(httpClient), options.BootServiceUrl, options.BootServiceToken);
}
