using System.Net;

namespace ImagePipeline.Server.Fleet;

/// <summary>
/// The boot service did not answer (refused, timed out, or a 5xx): the fleet is not reachable, which
/// says nothing about any one machine. The controller's round fails and is tried again after its
/// backoff; no machine is marked failed and the wave goes on where it was once the service is back.
/// </summary>
/// <param name="site">the site whose boot service it is; null for the default boot service</param>
public sealed class BootServiceUnreachableException(Uri? bootService, Exception inner, string? site = null)
    : Exception($"{(site is null ? "the boot service" : $"site {site}'s boot service")} {bootService} is unreachable: {inner.Message}", inner)
{
    /// <summary>The site whose boot service is away; null for the default boot service.</summary>
    public string? Site => site;

    /// <summary>An error of a call to the boot service that means it is away rather than that it refused this machine.</summary>
    public static bool IsUnreachable(Exception error, CancellationToken cancellationToken) => error switch
    {
        HttpRequestException { StatusCode: null } => true,
        HttpRequestException { StatusCode: { } status } => status >= HttpStatusCode.InternalServerError,
        TaskCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };
}
