using ImagePipeline.Loops;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.BootService.Network;

/// <summary>
/// The retry policy of the boot service's socket loops (DHCP, TFTP, router advertisements): a
/// receive that fails for a reason other than one bad datagram waits a backoff (1 s doubling to
/// 5 s: clients retry on their own in about that time) and is logged once however often it
/// repeats, instead of spinning on a socket that keeps failing; a disposed socket ends the loop.
/// </summary>
internal static partial class ReceiveLoops
{
    public static RetryPacer Pacer(ILogger logger, string name) =>
        new($"bootsvc: {name}", line => LogLoop(logger, line), TimeProvider.System, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

    [LoggerMessage(100, LogLevel.Warning, "{Line}")]
    private static partial void LogLoop(ILogger logger, string line);
}
