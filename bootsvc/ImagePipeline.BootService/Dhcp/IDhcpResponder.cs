namespace ImagePipeline.BootService.Dhcp;

/// <summary>Turns one valid request into at most one reply. Implementations: full mode and proxy mode.</summary>
public interface IDhcpResponder
{
    /// <param name="request">a parsed BOOTREQUEST</param>
    /// <param name="client">its classification</param>
    /// <param name="onPxePort">it arrived on port 4011 (a proxyDHCP REQUEST), not on 67</param>
    Task<DhcpMessage?> RespondAsync(DhcpMessage request, BootClient client, bool onPxePort, CancellationToken cancellationToken);
}
