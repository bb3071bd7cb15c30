using ImagePipeline.Loops;

namespace ImagePipeline.Server;

/// <summary>
/// The server's background loops (run reclaimer, run heartbeats, rollout controller, live feed)
/// by name, each with the product's one retry policy (<see cref="RetryPacer"/>), their few log
/// lines on standard error, and their rounds and failures on <c>/metrics</c>.
/// </summary>
public static class ServerLoops
{
    public const string Reclaimer = "server: reclaiming runs";
    public const string Heartbeats = "server: run heartbeats";
    public const string RolloutController = "server: rollout controller";
    public const string LiveFeed = "server: live feed";
    public const string LogStreams = "server: run log streams";

    /// <summary>The first retry after a failed round waits about this long; each further one twice as long, up to its loop's cap.</summary>
    public static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);

    public static RetryPacer Pacer(this LoopRegistry loops, string name, TimeSpan maxDelay, TimeProvider clock) =>
        loops.Pacer(name, Console.Error.WriteLine, clock, FirstRetry, maxDelay);
}
