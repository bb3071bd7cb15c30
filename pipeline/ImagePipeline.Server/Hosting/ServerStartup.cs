using Hangfire;
using ImagePipeline.Server.Auth;
using ImagePipeline.Loops;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace ImagePipeline.Server.Hosting;

/// <summary>
/// At start: the state database is migrated, the first admin exists, and the recurring jobs exist (the minute poll of
/// sources, each recipe's nightly rebuild). While running: every 10 s, runs whose worker died are
/// handed to new jobs (<see cref="RunReclaimer"/>), in every server process alike; while the store
/// is away the loop backs off (<see cref="BackgroundLoop"/>).
/// </summary>
public sealed class ServerStartup(IDbContextFactory<PipelineDb> databases, IRecurringJobManager recurring, RunReclaimer reclaimer, ServerOptions options, TimeProvider clock,
    Promotion.ImageSigner signer, StateStore store, LoopRegistry loops, Fleet.BmcPasswords bmcPasswords) : IHostedService, IDisposable
{
    private static readonly TimeSpan ReclaimInterval = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource stopping = new();
    private Task reclaiming = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        // SQLite: readers and the writer no longer block each other (a page read never holds up a heartbeat); kept in the file.
        if (!store.IsPostgres)
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL", cancellationToken);
        await FirstAdmin.EnsureAsync(databases, options, clock, cancellationToken);
        await bmcPasswords.SealStoredAsync(databases, cancellationToken);
        Console.WriteLine($"server: images are signed with {signer.KeyPath} (public key: GET /api/v1/signing-key)");
        recurring.AddOrUpdate<PipelineJobs>("poll-sources", j => j.PollSourcesAsync(CancellationToken.None), Cron.Minutely());
        // After the nightly rebuilds' usual hour: yesterday's bases are replaced by then.
        recurring.AddOrUpdate<PipelineJobs>("collect", j => j.CollectAsync(CancellationToken.None), Cron.Daily(5));
        foreach (var recipe in await db.Recipes.ToListAsync(cancellationToken))
            NightlyRebuild.Schedule(recurring, recipe);

        reclaiming = ReclaimLoopAsync(stopping.Token);
    }

    private Task ReclaimLoopAsync(CancellationToken cancellationToken)
    {
        var pacer = loops.Pacer(ServerLoops.Reclaimer, TimeSpan.FromMinutes(1), clock);
        // At least three rounds per stale window, so that any outage long enough to make a heartbeat stale meets a round.
        var interval = TimeSpan.FromTicks(Math.Min(ReclaimInterval.Ticks, options.HeartbeatStale.Ticks / 3));
        return BackgroundLoop.RunAsync(pacer, interval, async ct =>
        {
            // After an outage of the store nobody could write a heartbeat: none counts as stale until they had the time to.
            if (pacer.ConsecutiveFailures > 0)
                reclaimer.StoreCameBack();
            await reclaimer.ReclaimAsync(ct);
        }, clock, cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        await reclaiming;
    }

    public void Dispose() => stopping.Dispose();
}
