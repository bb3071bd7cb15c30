using Hangfire;
using Hangfire.Storage;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Tests.Jobs;

/// <summary>The scheduled triggers: the poll that compares a source's branch with the commit last seen, and each recipe's nightly rebuild.</summary>
public sealed class TriggerJobsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TestServer.Stores), MemberType = typeof(TestServer))]
    public async Task A_poll_builds_what_the_new_commits_touched_and_every_recipe_has_its_nightly_rebuild(string store)
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync(store);
        await server.RegisterAsync("recipes", repository.Path, secret: null);
        var sourceId = (await server.GetJsonAsync("/api/v1/sources/recipes"))["id"]!.GetValue<long>();
        var jobs = server.Services.GetRequiredService<PipelineJobs>();

        await jobs.SyncSourceAsync(sourceId, "poll", null, null, Ct);
        var quiet = (await server.GetJsonAsync("/api/v1/runs")).AsArray().Count;
        await repository.CommitAsync(new Dictionary<string, string> { ["README.md"] = "docs only\n" }, "docs");
        await jobs.SyncSourceAsync(sourceId, "poll", null, null, Ct);
        var afterDocs = (await server.GetJsonAsync("/api/v1/runs")).AsArray().Count;
        var commit = await repository.CommitAsync(new Dictionary<string, string> { ["recipes/tiny.yaml"] = RecipeRepository.Tiny("polled") }, "recipe change");
        await jobs.SyncSourceAsync(sourceId, "poll", null, null, Ct);
        var runs = (await server.GetJsonAsync("/api/v1/runs")).AsArray();
        using var connection = server.Services.GetRequiredService<JobStorage>().GetConnection();
        var nightly = connection.GetRecurringJobs().SingleOrDefault(j => j.Id == "nightly-tiny");

        quiet.ShouldBe(0, "nothing changed since the registration");
        afterDocs.ShouldBe(0, "a commit that touches no recipe builds nothing");
        var run = runs.ShouldHaveSingleItem()!;
        run["trigger"]!.GetValue<string>().ShouldBe("poll");
        run["commit"]!.GetValue<string>().ShouldBe(commit);
        nightly.ShouldNotBeNull().Cron.ShouldBe(NightlyRebuild.DefaultCron);
        nightly.Queue.ShouldBe(Queues.Default);
    }
}
