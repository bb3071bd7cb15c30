using ImagePipeline.Loops;
using Microsoft.Extensions.Hosting;

namespace ImagePipeline.Server.Jobs;

/// <summary>
/// Every 10 s (at least three rounds per stale window, so that any outage long enough to make a
/// heartbeat stale meets a round), runs whose worker died are handed to new jobs
/// (<see cref="RunReclaimer"/>), in every server process alike. While the store is away the loop
/// backs off to a minute; after an outage every heartbeat gets a full stale window.
/// </summary>
public sealed class RunReclaimerLoop(RunReclaimer reclaimer, ServerLoops loops, ServerOptions options, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pacer = loops.Pacer(ServerLoops.Reclaimer, TimeSpan.FromMinutes(1));
        var interval = TimeSpan.FromTicks(Math.Min(Interval.Ticks, options.HeartbeatStale.Ticks / 3));
        return BackgroundLoop.RunAsync(pacer, interval, async ct =>
        {
            // After an outage of the store nobody could write a heartbeat: none counts as stale until they had the time to.
            if (pacer.ConsecutiveFailures > 0)
                reclaimer.StoreCameBack();
            await reclaimer.ReclaimAsync(ct);
        }, clock, stoppingToken);
    }
}
