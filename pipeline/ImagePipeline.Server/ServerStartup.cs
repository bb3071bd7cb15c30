using Hangfire;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace ImagePipeline.Server;

/// <summary>At start: the state database is migrated, and the recurring jobs exist (the minute poll of sources, each recipe's nightly rebuild).</summary>
public sealed class ServerStartup(IDbContextFactory<PipelineDb> databases, IRecurringJobManager recurring) : IHostedService
{
    /// <summary>The nightly rebuild when a recipe names no time: 03:00 UTC.</summary>
    public const string DefaultNightlyCron = "0 3 * * *";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        recurring.AddOrUpdate<PipelineJobs>("poll-sources", j => j.PollSourcesAsync(CancellationToken.None), Cron.Minutely());
        foreach (var recipe in await db.Recipes.ToListAsync(cancellationToken))
        {
            recurring.AddOrUpdate<PipelineJobs>($"nightly-{recipe.Name}", Queues.Default, j => j.NightlyAsync(recipe.Id, CancellationToken.None),
                recipe.NightlyCron ?? DefaultNightlyCron, new RecurringJobOptions { TimeZone = recipe.TimeZone is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(recipe.TimeZone) });
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
