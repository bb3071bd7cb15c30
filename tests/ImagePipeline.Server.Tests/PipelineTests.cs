using System.Text;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Server.Webhooks;

namespace ImagePipeline.Server.Tests;

/// <summary>The continuous pipeline end to end: a commit to a real git repository, its webhook, a real build and a real QEMU validation, a candidate in the API.</summary>
public sealed class PipelineTests
{
    private const string Secret = "pipeline-secret";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_recipe_commit_and_its_webhook_make_a_validated_candidate_and_the_same_input_again_makes_no_new_version()
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync();
        await server.RegisterAsync("recipes", repository.Path, Secret);
        var commit = await repository.CommitAsync(new Dictionary<string, string> { ["recipes/tiny.yaml"] = RecipeRepository.Tiny("tiny, second commit") }, "new motd");
        var body = new JsonObject
        {
            ["ref"] = "refs/heads/main",
            ["after"] = commit,
            ["commits"] = new JsonArray(new JsonObject { ["modified"] = new JsonArray("recipes/tiny.yaml") }),
        }.ToJsonString();
        using var push = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks/recipes") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        push.Headers.Add("X-GitHub-Event", "push");
        push.Headers.Add("X-Hub-Signature-256", WebhookSignature.Sign(Encoding.UTF8.GetBytes(body), Secret));

        (await server.Http.SendAsync(push, Ct)).EnsureSuccessStatusCode();
        await TestServer.WaitAsync("the webhook's run", async () => (await server.GetJsonAsync("/api/v1/runs")).AsArray().Count == 1);
        var runId = (await server.GetJsonAsync("/api/v1/runs"))[0]!["id"]!.GetValue<long>();
        var log = await StreamLogAsync(server, runId);
        var run = await server.GetJsonAsync($"/api/v1/runs/{runId}");
        var images = await server.GetJsonAsync("/api/v1/images?channel=candidate");

        run["state"]!.GetValue<string>().ShouldBe("candidate", log);
        run["trigger"]!.GetValue<string>().ShouldBe("webhook");
        run["commit"]!.GetValue<string>().ShouldBe(commit);
        log.ShouldContain("validation: bios-virtio passed");
        log.ShouldEndWith("end:candidate");
        var image = images.AsArray().ShouldHaveSingleItem()!;
        image["imageId"]!.GetValue<string>().ShouldBe(run["imageId"]!.GetValue<string>());
        image["commit"]!.GetValue<string>().ShouldBe(commit);

        // The same recipe at the same commit again: the same image, recorded as unchanged.
        var again = await server.Http.PostAsync("/api/v1/recipes/tiny/runs", null, Ct);
        var againId = JsonNode.Parse(await again.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<long>();
        var againLog = await StreamLogAsync(server, againId);

        againLog.ShouldEndWith("end:unchanged");
        (await server.GetJsonAsync($"/api/v1/runs/{againId}"))["imageId"]!.GetValue<string>().ShouldBe(image["imageId"]!.GetValue<string>());
        (await server.GetJsonAsync("/api/v1/images")).AsArray().Count.ShouldBe(1, "no duplicate version");
    }

    /// <summary>The run's server-sent events, read to the end: data lines joined, then "end:STATE".</summary>
    private static async Task<string> StreamLogAsync(TestServer server, long runId)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(8));
        await using var stream = await server.Http.GetStreamAsync($"/api/v1/runs/{runId}/log", timeout.Token);
        using var reader = new StreamReader(stream);
        var text = new StringBuilder();
        var ending = false;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line == "event: end")
                ending = true;
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && ending)
                return text.Append("end:").Append(line[6..]).ToString();
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
                text.AppendLine(line[6..]);
        }

        return text.ToString();
    }
}
