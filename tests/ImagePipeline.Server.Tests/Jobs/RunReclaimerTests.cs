using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Tests.Jobs;

/// <summary>
/// The store's part in crash safety: reclaimers of several servers that find the same dead run
/// at the same moment hand it to exactly one new job (the claim is one conditional UPDATE).
/// </summary>
public sealed class RunReclaimerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TestServer.Stores), MemberType = typeof(TestServer))]
    public async Task Reclaimers_racing_for_a_dead_run_hand_it_to_one_new_job(string store)
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync(store);
        await server.RegisterAsync("recipes", repository.Path, secret: null);
        var databases = server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>();
        long runId;
        await using (var db = await databases.CreateDbContextAsync(Ct))
        {
            // A validation whose server died a minute ago; its image is not in this store, so the new job ends it quickly.
            var recipe = await db.Recipes.SingleAsync(Ct);
            var run = new PipelineRun
            {
                RecipeId = recipe.Id, Trigger = "manual", Commit = "HEAD", Queue = Queues.Default, State = RunState.Validating, ImageId = "0123456789ab",
                InputDigest = "feed", Attempts = 1, CreatedAt = DateTime.UtcNow, HeartbeatAt = DateTime.UtcNow.AddMinutes(-1),
            };
            db.Runs.Add(run);
            await db.SaveChangesAsync(Ct);
            runId = run.Id;
        }

        var reclaimers = Enumerable.Range(0, 4).Select(_ => ActivatorUtilities.CreateInstance<RunReclaimer>(server.Services)).ToList();
        var claims = await Task.WhenAll(reclaimers.Select(r => r.ReclaimAsync(Ct)));
        await TestServer.WaitAsync("the new job to end the run", async () =>
        {
            await using var db = await databases.CreateDbContextAsync(Ct);
            return (await db.Runs.SingleAsync(r => r.Id == runId, Ct)).Finished;
        });
        await using var check = await databases.CreateDbContextAsync(Ct);
        var ended = await check.Runs.SingleAsync(r => r.Id == runId, Ct);
        var log = await File.ReadAllTextAsync(server.Services.GetRequiredService<RunLogs>().PathOf(runId), Ct);

        claims.Sum().ShouldBeLessThanOrEqualTo(1, "the server's own reclaim loop may have been first");
        ended.Generation.ShouldBe(1, "claimed once");
        log.Split('\n').Count(l => l.Contains("the worker of this run stopped", StringComparison.Ordinal)).ShouldBe(1);
        ended.Attempts.ShouldBe(2, "one new validation job ran");
        ended.State.ShouldBe(RunState.Failed);
        ended.Error.ShouldNotBeNull().ShouldContain("no longer in the artifact store");
        ended.Worker.ShouldBe(server.Services.GetRequiredService<ServerOptions>().WorkerName);
    }

    [Fact]
    public async Task A_run_whose_worker_keeps_dying_is_failed_with_the_reason_instead_of_handed_out_forever()
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync();
        await server.RegisterAsync("recipes", repository.Path, secret: null);
        var databases = server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>();
        long runId;
        await using (var db = await databases.CreateDbContextAsync(Ct))
        {
            // Handed to a new job three times already, and its worker stopped again.
            var recipe = await db.Recipes.SingleAsync(Ct);
            var run = new PipelineRun
            {
                RecipeId = recipe.Id, Trigger = "manual", Commit = "HEAD", Queue = Queues.Default, State = RunState.Building, Attempts = 4,
                Generation = RunReclaimer.MaxHandovers, CreatedAt = DateTime.UtcNow, HeartbeatAt = DateTime.UtcNow.AddMinutes(-1),
            };
            db.Runs.Add(run);
            await db.SaveChangesAsync(Ct);
            runId = run.Id;
        }

        await ActivatorUtilities.CreateInstance<RunReclaimer>(server.Services).ReclaimAsync(Ct);
        await using var check = await databases.CreateDbContextAsync(Ct);
        var ended = await check.Runs.SingleAsync(r => r.Id == runId, Ct);

        ended.State.ShouldBe(RunState.Failed);
        ended.Generation.ShouldBe(RunReclaimer.MaxHandovers, "not handed out again");
        ended.Error.ShouldNotBeNull().ShouldContain("its worker stopped 4 times");
        ended.FinishedAt.ShouldNotBeNull();
    }
}
