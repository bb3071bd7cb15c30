using ImagePipeline.Loops;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server;

/// <summary>
/// The server's background loops (run reclaimer, run heartbeats, rollout controller, boot service feed, live feed,
/// run log streams) by name, each with the product's one retry policy (<see cref="RetryPacer"/>):
/// their few lines (first failure, a summary while it lasts, the recovery) go to the server's log,
/// their rounds and failures to <c>/metrics</c>.
/// </summary>
public sealed partial class ServerLoops(LoopRegistry registry, ILogger<ServerLoops> logger, TimeProvider clock)
{
    public const string Reclaimer = "server: reclaiming runs";
    public const string RolloutController = "server: rollout controller";
    public const string BootServiceFeed = "server: boot service feed";
    public const string LiveFeed = "server: live feed";
    public const string LogStreams = "server: run log streams";

    /// <summary>The first retry after a failed round waits about this long; each further one twice as long, up to its loop's cap.</summary>
    public static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);

    /// <summary>The loop named <paramref name="name"/>'s pacer, shown on <c>/metrics</c>; one per name, shared by every caller.</summary>
    public RetryPacer Pacer(string name, TimeSpan maxDelay) => registry.Pacer(name, Write, clock, FirstRetry, maxDelay);

    /// <summary>One run's heartbeat: a pacer of its own (one failing run does not slow another's beat), retried within <paramref name="interval"/>.</summary>
    public RetryPacer Heartbeat(long runId, TimeSpan interval) =>
        new($"server: run {runId}'s heartbeat", Write, clock, TimeSpan.FromTicks(Math.Min(FirstRetry.Ticks, interval.Ticks)), interval);

    private void Write(string line) => LogLoop(logger, line);

    [LoggerMessage(1, LogLevel.Warning, "{Line}")]
    private static partial void LogLoop(ILogger logger, string line);
}
