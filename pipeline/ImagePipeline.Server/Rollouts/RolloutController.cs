using ImagePipeline.Loops;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ImagePipeline.Server.Rollouts;

/// <summary>
/// The rollout controller: every <see cref="Interval"/>, or sooner when woken (a rollout started,
/// resumed or stopped; a boot service's feed brought a deployment's end) but never within
/// <see cref="MinimumGap"/> of the last round, each running rollout gets a step from
/// whichever server holds its lease (claimed with one conditional UPDATE, renewed while it
/// drives, taken over by another server when it lapses), so several servers on one database never
/// drive the same rollout twice. A failed round (the store or a boot service away, a malformed
/// answer) backs off and is logged once (<see cref="BackgroundLoop"/>); the loop never ends but at
/// shutdown, and one rollout's failure does not hold up the others in that round. A step that
/// passes a wave is followed at once by the steps that start the next one.
/// </summary>
public sealed class RolloutController(IDbContextFactory<PipelineDb> databases, RolloutDriver driver, ServerOptions options, TimeProvider clock, ServerLoops loops,
    [FromKeyedServices(ServerLoops.RolloutController)] LoopWakeup wakeup) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    /// <summary>The least time between rounds however often the controller is woken (a wave of thousands reports for minutes).</summary>
    public static readonly TimeSpan MinimumGap = TimeSpan.FromMilliseconds(250);
    /// <summary>Steps one rollout may take in a row in one round: a wave passed, the next one counted, the next one started.</summary>
    private const int StepsInARow = 4;
    /// <summary>How long a claim holds a rollout for this server; renewed by every round and by every machine a wave starts.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        BackgroundLoop.RunAsync(loops.Pacer(ServerLoops.RolloutController, TimeSpan.FromSeconds(30)), Interval, StepAllAsync, clock, wakeup, MinimumGap, stoppingToken);

    /// <summary>One round: a step of every running rollout this server holds the lease of; the first failure is rethrown once all had their step.</summary>
    public async Task StepAllAsync(CancellationToken cancellationToken)
    {
        List<long> running;
        await using (var db = await databases.CreateDbContextAsync(cancellationToken))
            running = await db.Rollouts.Where(r => r.State == RolloutState.Running).Select(r => r.Id).ToListAsync(cancellationToken);
        Exception? failed = null;
        foreach (var id in running)
        {
            try
            {
                if (await ClaimAsync(id, cancellationToken))
                {
                    for (var steps = 1; await driver.StepAsync(id, cancellationToken) && steps < StepsInARow; steps++)
                    {
                        // A wave passed: the next one starts in this round, not the next.
                    }
                }
            }
#pragma warning disable CA1031 // rethrown below, after the other rollouts had their step
            catch (Exception e) when (!BackgroundLoop.IsShutdown(e, cancellationToken))
#pragma warning restore CA1031
            {
                failed ??= new InvalidOperationException($"rollout {id}: {RetryPacer.Describe(e)}", e);
            }
        }

        if (failed is not null)
            throw failed;
    }

    private async Task<bool> ClaimAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + Lease;
        var me = options.WorkerName;
        return await db.Rollouts.Where(r => r.Id == id && (r.LeaseOwner == null || r.LeaseOwner == me || r.LeaseUntil < now))
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.LeaseOwner, me).SetProperty(r => r.LeaseUntil, until), cancellationToken) == 1;
    }
}
