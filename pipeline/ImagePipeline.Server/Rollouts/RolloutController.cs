using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace ImagePipeline.Server.Rollouts;

/// <summary>
/// The rollout controller: every <see cref="Interval"/>, each running rollout gets a step from
/// whichever server holds its lease (claimed with one conditional UPDATE, renewed while it
/// drives, taken over by another server when it lapses), so several servers on one database never
/// drive the same rollout twice.
/// </summary>
public sealed class RolloutController(IDbContextFactory<PipelineDb> databases, RolloutDriver driver, ServerOptions options, TimeProvider clock) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await StepAllAsync(stoppingToken);
                await Task.Delay(Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException or HttpRequestException)
            {
                await Console.Error.WriteLineAsync($"server: rollout controller: {e.Message}");
                await Task.Delay(Interval, clock, stoppingToken);
            }
        }
    }

    public async Task StepAllAsync(CancellationToken cancellationToken)
    {
        List<long> running;
        await using (var db = await databases.CreateDbContextAsync(cancellationToken))
            running = await db.Rollouts.Where(r => r.State == RolloutState.Running).Select(r => r.Id).ToListAsync(cancellationToken);
        foreach (var id in running)
        {
            if (await ClaimAsync(id, cancellationToken))
                await driver.StepAsync(id, cancellationToken);
        }
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
