using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Jobs;

/// <summary>
/// Hands runs whose worker died (a server killed mid-build or mid-validation) to new jobs: at
/// start, and every minute. Storage-independent: it reads the run's heartbeat, not the job
/// storage's idea of who holds what. The builder and the validation runner clean up what a dead
/// process left (staging directories, overlay mounts, QEMU processes and VM directories).
/// </summary>
public sealed class RunReclaimer(IDbContextFactory<PipelineDb> databases, RunScheduler scheduler, RunLogs logs, TimeProvider clock)
{
    public async Task<int> ReclaimAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var working = await db.Runs.Where(r => r.State == RunState.Building || r.State == RunState.Validating).ToListAsync(cancellationToken);
        var reclaimed = 0;
        // A null heartbeat is a run between jobs (queued for validation): its job is in the queue.
        foreach (var run in working.Where(r => r.HeartbeatAt is not null && !RunHeartbeat.IsFresh(r, now)))
        {
            // A new generation, claimed only if nobody (another server's reclaimer) did it first:
            // the dead worker's job, should it ever be delivered again, then does nothing.
            var generation = run.Generation + 1;
            var claimed = await db.Runs.Where(r => r.Id == run.Id && r.Generation == run.Generation)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Generation, generation).SetProperty(r => r.HeartbeatAt, (DateTime?)null), cancellationToken);
            if (claimed == 0)
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
}
