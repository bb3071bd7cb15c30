using Hangfire;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Hosting;

/// <summary>
/// At start, before any other of the server's services: the state database is migrated, the first
/// admin exists, stored BMC passwords are sealed, and the recurring jobs exist (the minute poll of
/// sources, the nightly collection, each recipe's nightly rebuild).
/// </summary>
public sealed partial class ServerStartup(IDbContextFactory<PipelineDb> databases, IRecurringJobManager recurring, ServerOptions options, TimeProvider clock,
    Promotion.ImageSigner signer, StateStore store, Fleet.BmcPasswords bmcPasswords, ILogger<ServerStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        // SQLite: readers and the writer no longer block each other (a page read never holds up a heartbeat); kept in the file.
        if (!store.IsPostgres)
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL", cancellationToken);
        await FirstAdmin.EnsureAsync(databases, options, clock, logger, cancellationToken);
        await bmcPasswords.SealStoredAsync(databases, cancellationToken);
        LogSigningKey(logger, signer.KeyPath);
        recurring.AddOrUpdate<PipelineJobs>("poll-sources", j => j.PollSourcesAsync(CancellationToken.None), Cron.Minutely());
        // After the nightly rebuilds' usual hour: yesterday's bases are replaced by then.
        recurring.AddOrUpdate<PipelineJobs>("collect", j => j.CollectAsync(CancellationToken.None), Cron.Daily(5));
        foreach (var recipe in await db.Recipes.ToListAsync(cancellationToken))
            NightlyRebuild.Schedule(recurring, recipe);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(1, LogLevel.Information, "server: images are signed with {KeyPath} (public key: GET /api/v1/signing-key)")]
    private static partial void LogSigningKey(ILogger logger, string keyPath);
}
