using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Waiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Tests.Jobs;

/// <summary>
/// The store's part in crash safety: reclaimers of several servers that find the same dead run
/// at the same moment hand it to exactly one new job (the claim is one conditional UPDATE), and a
/// job takes a run only from the reclaimer's hands, never by deciding itself that a beat is old.
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
        // A validation whose server died a minute ago; its image is not in this store, so the new job ends it quickly.
        var runId = await AddRunAsync(databases, RunState.Validating, generation: 0, attempts: 1);

        var reclaimers = Enumerable.Range(0, 4).Select(_ => ActivatorUtilities.CreateInstance<RunReclaimer>(server.Services)).ToList();
        var claims = await Task.WhenAll(reclaimers.Select(r => r.ReclaimAsync(Ct)));
        await Eventually.WaitAsync("the new job to end the run", async () =>
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
        // Handed to a new job three times already, and its worker stopped again.
        var runId = await AddRunAsync(databases, RunState.Building, RunReclaimer.MaxHandovers, attempts: 4);

        await ActivatorUtilities.CreateInstance<RunReclaimer>(server.Services).ReclaimAsync(Ct);
        await using var check = await databases.CreateDbContextAsync(Ct);
        var ended = await check.Runs.SingleAsync(r => r.Id == runId, Ct);

        ended.State.ShouldBe(RunState.Failed);
        ended.Generation.ShouldBe(RunReclaimer.MaxHandovers, "not handed out again");
        ended.Error.ShouldNotBeNull().ShouldContain("its worker stopped 4 times");
        ended.FinishedAt.ShouldNotBeNull();
    }

    /// <summary>
    /// Who may work on a run: the job that finds no heartbeat on its generation. Hangfire delivers
    /// a job again when it stops a worker or loses a fetch with the store, even while the run's
    /// worker may be alive and only kept from beating by an outage: that second delivery leaves the
    /// run alone however old its beat, and deciding that the worker is dead is the reclaimer's.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestServer.Stores), MemberType = typeof(TestServer))]
    public async Task A_second_delivery_leaves_a_run_with_a_heartbeat_alone_however_old_and_the_reclaimers_new_generation_takes_it(string store)
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync(store);
        await server.RegisterAsync("recipes", repository.Path, secret: null);
        // The server's own reclaimer waits a stale window, as after an outage: the test's deliveries come first.
        server.Services.GetRequiredService<RunReclaimer>().StoreCameBack();
        var databases = server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>();
        var runId = await AddRunAsync(databases, RunState.Validating, generation: 0, attempts: 1);

        await server.Services.GetRequiredService<PipelineJobs>().ValidateAsync(runId, generation: 0, Ct);
        var untouched = await RunAsync(databases, runId);
        var claims = await ActivatorUtilities.CreateInstance<RunReclaimer>(server.Services).ReclaimAsync(Ct);
        await Eventually.WaitAsync("the reclaimer's job to end the run", async () => (await RunAsync(databases, runId)).Finished);
        var ended = await RunAsync(databases, runId);

        untouched.Attempts.ShouldBe(1, "the second delivery did not take the run");
        untouched.Generation.ShouldBe(0);
        untouched.State.ShouldBe(RunState.Validating);
        claims.ShouldBe(1);
        ended.Generation.ShouldBe(1);
        ended.Attempts.ShouldBe(2, "the reclaimer's job took it");
        ended.State.ShouldBe(RunState.Failed);
        ended.Error.ShouldNotBeNull().ShouldContain("no longer in the artifact store");
    }

    /// <summary>A run whose worker last beat a minute ago (a validation's image is not in the test's store).</summary>
    private static async Task<long> AddRunAsync(IDbContextFactory<PipelineDb> databases, RunState state, int generation, int attempts)
    {
        await using var db = await databases.CreateDbContextAsync(Ct);
        var run = new PipelineRun
        {
            RecipeId = (await db.Recipes.SingleAsync(Ct)).Id, Trigger = "manual", Commit = "HEAD", Queue = Queues.Default, State = state, Attempts = attempts,
            Generation = generation, CreatedAt = DateTime.UtcNow, HeartbeatAt = DateTime.UtcNow.AddMinutes(-1),
            ImageId = state == RunState.Validating ? "0123456789ab" : null, InputDigest = state == RunState.Validating ? "feed" : null,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync(Ct);
        return run.Id;
    }

    private static async Task<PipelineRun> RunAsync(IDbContextFactory<PipelineDb> databases, long runId)
    {
        await using var db = await databases.CreateDbContextAsync(Ct);
        return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId, Ct);
    }
}
