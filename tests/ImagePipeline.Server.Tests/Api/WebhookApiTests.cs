using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Server.Webhooks;
using ImagePipeline.Tests.Waiting;

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
        audit.Count.ShouldBe(1, "the first refusal is written; the next ones in the same minute are folded into the next entry");
        audit[0]!["detail"]!.GetValue<string>().ShouldContain("no signature: send X-Hub-Signature-256");
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
        await Eventually.WaitAsync("the docs push to be synced", async () => (await server.GetJsonAsync("/api/v1/sources/recipes"))["lastCommit"]!.GetValue<string>() == readme);

        pong.StatusCode.ShouldBe(HttpStatusCode.OK);
        otherBranch.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await otherBranch.Content.ReadAsStringAsync(Ct)).ShouldContain("follows main");
        docs.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await server.GetJsonAsync("/api/v1/runs")).AsArray().ShouldBeEmpty("a push that touches no recipe builds nothing");
    }

    [Fact]
    public async Task A_flood_of_forged_deliveries_adds_one_audit_entry_and_an_oversized_body_is_refused_before_it_is_read()
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync();
        await server.RegisterAsync("recipes", repository.Path, Secret);
        var body = PushBody("main", "0000000000000000000000000000000000000000", "recipes/tiny.yaml");

        for (var i = 0; i < 200; i++)
            (await server.Http.SendAsync(Push("recipes", body, "sha256=00"), Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var huge = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks/recipes") { Content = new ByteArrayContent(new byte[6 << 20]) };
        var oversized = await server.Http.SendAsync(huge, Ct);
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks/recipes") { Content = new StreamContent(new MemoryStream(new byte[6 << 20])) };
        chunked.Headers.TransferEncodingChunked = true;
        var oversizedChunked = await server.Http.SendAsync(chunked, Ct);

        (await server.GetJsonAsync("/api/v1/audit")).AsArray().Count(a => a!["action"]!.GetValue<string>() == "webhook-refused").ShouldBe(1);
        (await server.Http.GetStringAsync("/metrics", Ct)).ShouldContain("imagepipe_webhooks_refused_total 200\n");
        oversized.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        oversizedChunked.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_replayed_or_late_push_neither_builds_again_nor_moves_the_source_back_to_an_older_commit()
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync();
        await server.RegisterAsync("recipes", repository.Path, Secret);
        var first = await repository.CommitAsync(new Dictionary<string, string> { ["README.md"] = "one\n" }, "docs one");
        var second = await repository.CommitAsync(new Dictionary<string, string> { ["README.md"] = "two\n" }, "docs two");
        var firstBody = PushBody("main", first, "README.md");
        var secondBody = PushBody("main", second, "README.md");
        (await server.Http.SendAsync(Push("recipes", secondBody, WebhookSignature.Sign(Encoding.UTF8.GetBytes(secondBody), Secret)), Ct)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.WaitAsync("the second push to be synced", async () => (await server.GetJsonAsync("/api/v1/sources/recipes"))["lastCommit"]!.GetValue<string>() == second);

        // An authentic but older push (captured and replayed to another server, or delivered late): signed, never seen here.
        var older = await server.Http.SendAsync(Push("recipes", firstBody, WebhookSignature.Sign(Encoding.UTF8.GetBytes(firstBody), Secret)), Ct);
        await Eventually.WaitAsync("the older push to be judged", async () =>
            (await server.GetJsonAsync("/api/v1/audit")).AsArray().Any(a => a!["action"]!.GetValue<string>() == "push-ignored"));
        // The latest delivery sent again, with a new (unsigned) delivery id.
        var again = Push("recipes", secondBody, WebhookSignature.Sign(Encoding.UTF8.GetBytes(secondBody), Secret));
        again.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        var replayed = await server.Http.SendAsync(again, Ct);

        older.StatusCode.ShouldBe(HttpStatusCode.Accepted, "the server cannot tell before fetching; its sync job decides");
        (await server.GetJsonAsync("/api/v1/sources/recipes"))["lastCommit"]!.GetValue<string>().ShouldBe(second);
        (await server.GetJsonAsync("/api/v1/audit")).AsArray().Single(a => a!["action"]!.GetValue<string>() == "push-ignored")!["detail"]!.GetValue<string>()
            .ShouldContain($"{first} is not newer than {second}");
        replayed.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await replayed.Content.ReadAsStringAsync(Ct)).ShouldContain("received before");
        (await server.GetJsonAsync("/api/v1/runs")).AsArray().ShouldBeEmpty();
    }
}
