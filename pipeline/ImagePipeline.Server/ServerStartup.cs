using Hangfire;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace ImagePipeline.Server;

/// <summary>
/// At start: the state database is migrated, the first admin exists, and the recurring jobs exist (the minute poll of
/// sources, each recipe's nightly rebuild). While running: every 10 s, runs whose worker died are
/// handed to new jobs (<see cref="RunReclaimer"/>), in every server process alike.
/// </summary>
public sealed class ServerStartup(IDbContextFactory<PipelineDb> databases, IRecurringJobManager recurring, RunReclaimer reclaimer, ServerOptions options, TimeProvider clock,
    Promotion.ImageSigner signer) : IHostedService, IDisposable
{
    private static readonly TimeSpan ReclaimInterval = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource stopping = new();
    private Task reclaiming = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        await FirstAdmin.EnsureAsync(databases, options, clock, cancellationToken);
        Console.WriteLine($"server: images are signed with {signer.KeyPath} (public key: GET /api/v1/signing-key)");
        recurring.AddOrUpdate<PipelineJobs>("poll-sources", j => j.PollSourcesAsync(CancellationToken.None), Cron.Minutely());
        foreach (var recipe in await db.Recipes.ToListAsync(cancellationToken))
            NightlyRebuild.Schedule(recurring, recipe);

        reclaiming = ReclaimLoopAsync(stopping.Token);
    }

    private async Task ReclaimLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await reclaimer.ReclaimAsync(cancellationToken);
                await Task.Delay(ReclaimInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
            {
                // The database was busy or away: the next round tries again.
                await Console.Error.WriteLineAsync($"server: reclaiming runs failed: {e.Message}");
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        await reclaiming;
    }

    public void Dispose() => stopping.Dispose();
}
