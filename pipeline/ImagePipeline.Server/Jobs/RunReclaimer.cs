using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Jobs;

/// <summary>
/// Hands runs whose worker died (a server killed mid-build or mid-validation) to new jobs: at
/// start, and every 10 s (<see cref="RunReclaimerLoop"/>). Storage-independent: it reads the run's heartbeat, not the job
/// storage's idea of who holds what. The builder and the validation runner clean up what a dead
/// process left (staging directories, overlay mounts, QEMU processes and VM directories).
/// </summary>
public sealed class RunReclaimer(IDbContextFactory<PipelineDb> databases, RunScheduler scheduler, RunLogs logs, ServerOptions options, TimeProvider clock)
{
    private DateTime heartbeatsCountFrom = DateTime.MinValue;

    /// <summary>
    /// The store was away until now: every worker's heartbeat failed with it, so a heartbeat counts
    /// as stale only once it has been older than <see cref="ServerOptions.HeartbeatStale"/> since this moment
    /// (a live run is never handed to a second job because the database was down).
    /// </summary>
    public void StoreCameBack() => heartbeatsCountFrom = clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// How long the claim may wait for the store's write lock: a store that cannot take a write
    /// this quickly cannot take heartbeats either, so the round fails (and the heartbeats get their
    /// grace) instead of claiming live runs the moment the lock is released.
    /// </summary>
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(3);

    /// <summary>A run is handed to a new job at most this many times; then it fails with the reason.</summary>
    public const int MaxHandovers = 3;

    public async Task<int> ReclaimAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        db.Database.SetCommandTimeout(ClaimTimeout);
        // First, can the store take a write at once? One that waits (SQLite's write lock held by another
        // process) means heartbeats are waiting too, and whatever looks stale now is not: no claim this
        // round, and every heartbeat gets its grace from the moment the store took the write.
        var probe = System.Diagnostics.Stopwatch.StartNew();
        await using (var writable = await db.Database.BeginTransactionAsync(cancellationToken))
            await writable.CommitAsync(cancellationToken);
        if (probe.Elapsed >= Congested)
        {
            StoreCameBack();
            return 0;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var working = await db.Runs.Where(r => r.State == RunState.Building || r.State == RunState.Validating).ToListAsync(cancellationToken);
        var reclaimed = 0;
        // A null heartbeat is a run between jobs (queued for validation): its job is in the queue.
        foreach (var run in working.Where(r => r.HeartbeatAt is not null && !RunHeartbeat.IsFresh(r, now, options) && now - heartbeatsCountFrom >= options.HeartbeatStale))
        {
            if (run.Generation >= MaxHandovers)
            {
                // Its work keeps taking its worker down (or the job dies without a word): a new job would too.
                var reason = $"its worker stopped {run.Generation + 1} times, the last time at {run.HeartbeatAt:HH:mm:ss}: not handed to another job; see the run's log";
                var ended = await ClaimAsync(db, () => db.Runs.Where(r => r.Id == run.Id && r.Generation == run.Generation && r.HeartbeatAt == run.HeartbeatAt)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.State, RunState.Failed).SetProperty(r => r.Error, reason).SetProperty(r => r.FinishedAt, now)
                        .SetProperty(r => r.HeartbeatAt, (DateTime?)null), cancellationToken), cancellationToken);
                if (ended)
                {
                    logs.Append(run.Id, $"failed: {reason}");
                    logs.Append(run.Id, $"run {run.Id}: failed");
                }

                continue;
            }

            // A new generation, claimed only if nobody (another server's reclaimer) did it first and
            // the heartbeat did not move since it was read (a worker that was only held up by the
            // store beat in between): the dead worker's job, should it ever be delivered again, then does nothing.
            var generation = run.Generation + 1;
            var claimed = await ClaimAsync(db, () => db.Runs.Where(r => r.Id == run.Id && r.Generation == run.Generation && r.HeartbeatAt == run.HeartbeatAt)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Generation, generation).SetProperty(r => r.HeartbeatAt, (DateTime?)null), cancellationToken), cancellationToken);
            if (!claimed)
                continue;
            logs.Append(run.Id, $"the worker of this run stopped (last heartbeat {run.HeartbeatAt:HH:mm:ss}): {(run.State == RunState.Building ? "building" : "validating")} again");
            if (run.State == RunState.Building)
                scheduler.EnqueueBuild(run.Id, generation, run.Queue);
            else
                scheduler.EnqueueValidation(run.Id, generation);
            reclaimed++;
        }

        return reclaimed;
    }

    /// <summary>
    /// A claim is kept only if the store took it at once. A write that had to wait for the store
    /// (SQLite's write lock held by another process, a congested PostgreSQL) waited behind the
    /// very heartbeats that would have shown the run alive, and may land first when the lock goes:
    /// it is rolled back, and heartbeats get their grace as after an outage.
    /// </summary>
    private async Task<bool> ClaimAsync(PipelineDb db, Func<Task<int>> update, CancellationToken cancellationToken)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await update();
        if (changed == 1 && waited.Elapsed < Congested)
        {
            await transaction.CommitAsync(cancellationToken);
            return true;
        }

        await transaction.RollbackAsync(CancellationToken.None);
        if (waited.Elapsed >= Congested)
            StoreCameBack();
        return false;
    }

    /// <summary>How long a claim may take before it counts as having waited for the store.</summary>
    private static readonly TimeSpan Congested = TimeSpan.FromSeconds(1);
}
