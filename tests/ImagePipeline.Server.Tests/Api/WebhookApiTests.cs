using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Server.Webhooks;

namespace ImagePipeline.Server.Tests.Api;

/// <summary>Push webhooks: only an authentic push for the source's branch that touches a recipe starts a build; refusals are audited.</summary>
public sealed class WebhookApiTests
{
    private const string Secret = "s3cret-of-the-forge";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage Push(string source, string body, string? signature, string branch = "main")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/webhooks/{source}") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-GitHub-Event", "push");
        if (signature is not null)
            request.Headers.Add("X-Hub-Signature-256", signature);
        _ = branch;
        return request;
    }

    private static string PushBody(string branch, string after, params string[] modified) =>
        new JsonObject
        {
            ["ref"] = $"refs/heads/{branch}",
            ["after"] = after,
            ["commits"] = new JsonArray(new JsonObject { ["added"] = new JsonArray(), ["modified"] = new JsonArray([.. modified.Select(m => (JsonNode)m)]), ["removed"] = new JsonArray() }),
        }.ToJsonString();

    [Theory]
    [MemberData(nameof(TestServer.Stores), MemberType = typeof(TestServer))]
    public async Task Missing_and_wrong_signatures_get_401_and_an_audit_entry_and_never_a_build(string store)
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync(store);
        await server.RegisterAsync("recipes", repository.Path, Secret);
        var body = PushBody("main", "0000000000000000000000000000000000000000", "recipes/tiny.yaml");

        var missing = await server.Http.SendAsync(Push("recipes", body, null), Ct);
        var wrong = await server.Http.SendAsync(Push("recipes", body, WebhookSignature.Sign(Encoding.UTF8.GetBytes(body), "not the secret")), Ct);
        var tampered = await server.Http.SendAsync(Push("recipes", body + " ", WebhookSignature.Sign(Encoding.UTF8.GetBytes(body), Secret)), Ct);
        var garbage = await server.Http.SendAsync(Push("recipes", body, "sha256=zz"), Ct);
        await Task.Delay(1500, Ct);

        missing.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        tampered.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        garbage.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await server.GetJsonAsync("/api/v1/runs")).AsArray().ShouldBeEmpty();
        var audit = (await server.GetJsonAsync("/api/v1/audit")).AsArray().Where(a => a!["action"]!.GetValue<string>() == "webhook-refused").ToList();
        audit.Count.ShouldBe(4);
        audit.ShouldContain(a => a!["detail"]!.GetValue<string>().Contains("no signature: send X-Hub-Signature-256", StringComparison.Ordinal));
        audit.ShouldContain(a => a!["detail"]!.GetValue<string>().Contains("does not match the body", StringComparison.Ordinal));
        var metrics = await server.Http.GetStringAsync("/metrics", Ct);
        metrics.ShouldContain("imagepipe_webhooks_refused_total 4\n");
        metrics.ShouldContain("imagepipe_runs{state=\"queued\"} 0\n");
        metrics.ShouldContain("imagepipe_queue_length{queue=\"validation\"} 0\n");
        metrics.ShouldContain("# TYPE imagepipe_run_duration_seconds summary\n");
    }

    [Theory]
    [MemberData(nameof(TestServer.Stores), MemberType = typeof(TestServer))]
    public async Task An_authentic_push_builds_only_the_recipes_it_touched_on_the_followed_branch(string store)
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync(store);
        await server.RegisterAsync("recipes", repository.Path, Secret);
        var readme = await repository.CommitAsync(new Dictionary<string, string> { ["README.md"] = "recipes, documented\n" }, "docs");
        var elsewhere = PushBody("feature", readme, "recipes/tiny.yaml");
        var docsOnly = PushBody("main", readme, "README.md");

        var ping = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks/recipes") { Content = new StringContent("{}") };
        ping.Headers.Add("X-GitHub-Event", "ping");
        ping.Headers.Add("X-Hub-Signature-256", WebhookSignature.Sign(Encoding.UTF8.GetBytes("{}"), Secret));
        var pong = await server.Http.SendAsync(ping, Ct);
        var otherBranch = await server.Http.SendAsync(Push("recipes", elsewhere, WebhookSignature.Sign(Encoding.UTF8.GetBytes(elsewhere), Secret)), Ct);
        var docs = await server.Http.SendAsync(Push("recipes", docsOnly, WebhookSignature.Sign(Encoding.UTF8.GetBytes(docsOnly), Secret)), Ct);
        var unknown = await server.Http.SendAsync(Push("nobody", docsOnly, WebhookSignature.Sign(Encoding.UTF8.GetBytes(docsOnly), Secret)), Ct);
        await TestServer.WaitAsync("the docs push to be synced", async () => (await server.GetJsonAsync("/api/v1/sources/recipes"))["lastCommit"]!.GetValue<string>() == readme);

        pong.StatusCode.ShouldBe(HttpStatusCode.OK);
        otherBranch.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await otherBranch.Content.ReadAsStringAsync(Ct)).ShouldContain("follows main");
        docs.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await server.GetJsonAsync("/api/v1/runs")).AsArray().ShouldBeEmpty("a push that touches no recipe builds nothing");
    }
}
