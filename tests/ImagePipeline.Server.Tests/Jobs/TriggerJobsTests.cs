using System.Text;
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

    [Fact]
    public async Task A_recipe_whose_name_is_taken_is_audited_and_left_out_while_the_rest_of_the_source_syncs_and_a_moved_file_keeps_its_history()
    {
        using var repository = await RecipeRepository.CreateAsync();
        using var other = await RecipeRepository.CreateAsync("web");
        await using var server = await TestServer.StartAsync();
        await server.RegisterAsync("recipes", repository.Path, secret: null);
        await server.RegisterAsync("team-b", other.Path, secret: null);
        using var builder = await server.ClientAsync("builder");
        (await builder.PutAsync("/api/v1/imports/appliance", new StringContent("validate:\n  checks:\n    - tcp: 22\n", Encoding.UTF8, "application/yaml"), Ct)).EnsureSuccessStatusCode();
        var sourceId = (await server.GetJsonAsync("/api/v1/sources/recipes"))["id"]!.GetValue<long>();
        var jobs = server.Services.GetRequiredService<PipelineJobs>();
        await jobs.SyncSourceAsync((await server.GetJsonAsync("/api/v1/sources/team-b"))["id"]!.GetValue<long>(), "poll", null, null, Ct);
        await jobs.SyncSourceAsync(sourceId, "poll", null, null, Ct);
        var tinyId = TinyEntry(await server.GetJsonAsync("/api/v1/recipes"))["id"]!.GetValue<long>();

        // Three files whose names are taken (an import, another source, a file of this source), beside a change to tiny.
        await repository.CommitAsync(new Dictionary<string, string>
        {
            ["recipes/appliance.yaml"] = RecipeRepository.Tiny("appliance", "appliance"),
            ["recipes/web.yaml"] = RecipeRepository.Tiny("web", "web"),
            ["recipes/tiny-again.yaml"] = RecipeRepository.Tiny("a copy", "tiny"),
            ["recipes/tiny.yaml"] = RecipeRepository.Tiny("changed"),
        }, "three taken names");
        await jobs.SyncSourceAsync(sourceId, "poll", null, null, Ct);
        var recipes = await server.GetJsonAsync("/api/v1/recipes");
        var runs = (await server.GetJsonAsync("/api/v1/runs")).AsArray();
        var refused = (await server.GetJsonAsync("/api/v1/audit")).AsArray().Where(a => a!["action"]!.GetValue<string>() == "recipe-invalid").Select(a => a!["detail"]!.GetValue<string>()).ToList();

        // The copy removed and the file moved: the same recipe (its runs and images), at its new path.
        File.Delete(Path.Combine(repository.Path, "recipes", "tiny-again.yaml"));
        File.Move(Path.Combine(repository.Path, "recipes", "tiny.yaml"), Path.Combine(repository.Path, "tiny.yaml"));
        await repository.CommitAsync(new Dictionary<string, string>(), "tiny moves to the top, its copy goes");
        await jobs.SyncSourceAsync(sourceId, "poll", null, null, Ct);
        var moved = TinyEntry(await server.GetJsonAsync("/api/v1/recipes"));

        refused.Count.ShouldBe(3, string.Join("\n", refused));
        refused.ShouldContain(d => d.Contains("recipes:recipes/appliance.yaml", StringComparison.Ordinal) && d.Contains("its name appliance is taken (images are imported under it); give the recipe another name", StringComparison.Ordinal));
        refused.ShouldContain(d => d.Contains("recipes:recipes/web.yaml", StringComparison.Ordinal) && d.Contains("(source team-b has a recipe of that name)", StringComparison.Ordinal));
        refused.ShouldContain(d => d.Contains("recipes:recipes/tiny-again.yaml", StringComparison.Ordinal) && d.Contains("(recipes/tiny.yaml in this source has it too)", StringComparison.Ordinal));
        recipes.AsArray().Where(r => r!["source"]?.GetValue<string>() == "recipes").Select(r => r!["path"]!.GetValue<string>()).ShouldBe(["recipes/tiny.yaml"]);
        runs.ShouldHaveSingleItem()!["recipe"]!.GetValue<string>().ShouldBe("tiny", "the change to tiny is built; the refused files are not");
        moved["id"]!.GetValue<long>().ShouldBe(tinyId);
        moved["path"]!.GetValue<string>().ShouldBe("tiny.yaml");
    }

    private static System.Text.Json.Nodes.JsonNode TinyEntry(System.Text.Json.Nodes.JsonNode recipes) =>
        recipes.AsArray().Single(r => r!["name"]!.GetValue<string>() == "tiny")!;
}
