namespace ImagePipeline.Agent.Transport;

/// <summary>
/// The state of the network link a download runs over. A pulled cable does not break a TCP
/// connection: it stalls until retransmissions give up, minutes later. Watching the NIC's carrier
/// lets the download drop the dead connection the moment the link goes, and resume by Range as
/// soon as it is back. The real one reads sysfs (<see cref="CarrierLinkMonitor"/>); tests use
/// <see cref="FakeLinkMonitor"/>.
/// </summary>
public interface ILinkMonitor
{
    bool IsUp { get; }

    /// <summary>Cancelled when the link goes down; a fresh token is handed out once it is up again.</summary>
    CancellationToken LinkLost { get; }

    /// <summary>Completes when the link is up (at once if it is); false if it stayed down for <paramref name="timeout"/>.</summary>
    Task<bool> WaitUntilUpAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
