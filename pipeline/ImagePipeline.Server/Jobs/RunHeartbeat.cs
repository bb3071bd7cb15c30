using ImagePipeline.Loops;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Jobs;

/// <summary>
/// While a job works on a run it writes the run's heartbeat every <see cref="ServerOptions.HeartbeatInterval"/>, for its
/// generation only (a worker the reclaimer gave up on cannot stamp the run it lost). A run in
/// building or validating whose heartbeat is older than <see cref="ServerOptions.HeartbeatStale"/> has lost its
/// worker (the server was killed) and the reclaimer hands it to a new job; a job that finds any
/// heartbeat on its run's generation is a second delivery and leaves it alone. A failed
/// beat (the store away) is retried within an interval, logged once however long it lasts; the
/// reclaimer gives heartbeats a full stale window after such an outage.
/// </summary>
public sealed class RunHeartbeat : IAsyncDisposable
{
    private readonly IDbContextFactory<PipelineDb> databases;
    private readonly long runId;
    private readonly int generation;
    private readonly TimeProvider clock;
    private readonly TimeSpan interval;
    private readonly ServerLoops loops;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private bool disposed;

    private RunHeartbeat(IDbContextFactory<PipelineDb> databases, long runId, int generation, TimeProvider clock, TimeSpan interval, ServerLoops loops)
    {
        this.loops = loops;
        this.databases = databases;
        this.runId = runId;
        this.generation = generation;
        this.clock = clock;
        this.interval = interval;
        loop = BeatAsync();
    }

    public static RunHeartbeat Start(IDbContextFactory<PipelineDb> databases, PipelineRun run, TimeProvider clock, ServerOptions options, ServerLoops loops) =>
        new(databases, run.Id, run.Generation, clock, options.HeartbeatInterval, loops);

    public static bool IsFresh(PipelineRun run, DateTime now, ServerOptions options) => run.HeartbeatAt is { } beat && now - beat < options.HeartbeatStale;

    private Task BeatAsync()
    {
        return BackgroundLoop.RunAsync(loops.Heartbeat(runId, interval), interval, async ct =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var now = clock.GetUtcNow().UtcDateTime;
            await db.Runs.Where(r => r.Id == runId && r.Generation == generation).ExecuteUpdateAsync(u => u.SetProperty(r => r.HeartbeatAt, now), ct);
        }, clock, stop.Token);
    }

    /// <summary>Stops the beat; safe to call twice (a job stops it when it hands the run over, and again when it ends).</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
            return;
        disposed = true;
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }
}
