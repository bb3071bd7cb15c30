using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Server.Webhooks;
using ImagePipeline.Tests.Waiting;

namespace ImagePipeline.Server.Tests;

/// <summary>The continuous pipeline end to end: a commit to a real git repository, its webhook, a real build and a real QEMU validation, a candidate in the API; then emergency rebuilds on the same server.</summary>
public sealed class PipelineTests
{
    private const string Secret = "pipeline-secret";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_recipe_commit_and_its_webhook_make_a_validated_candidate_the_same_input_again_no_new_version_and_an_emergency_rebuild_takes_the_critical_queue_and_the_smoke_profiles()
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync();
        await SeededBase.IntoAsync(server.DataDirectory);
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
        await Eventually.WaitAsync("the webhook's run", async () => (await server.GetJsonAsync("/api/v1/runs")).AsArray().Count == 1);
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

        await AnEmergencyRebuildAsync(server, repository, image["imageId"]!.GetValue<string>());
    }

    /// <summary>
    /// Part of the test above (one server, one cold base less): an emergency rebuild runs on the
    /// critical queue, fails when a named package did not update, and validates on the smoke profiles.
    /// </summary>
    private static async Task AnEmergencyRebuildAsync(TestServer server, RecipeRepository repository, string firstImage)
    {
        var noReason = await server.Http.PostAsJsonAsync("/api/v1/recipes/tiny/emergency", new { packages = new List<string> { "busybox-static" } }, Ct);
        var badName = await server.Http.PostAsJsonAsync("/api/v1/recipes/tiny/emergency", new { reason = "CVE-2026-0001", packages = new List<string> { "Busy_Box" } }, Ct);
        // Nothing in the archive moved since the first build: the named package cannot have updated.
        var stale = await TriggerAsync(server, "/api/v1/recipes/tiny/emergency", new { reason = "CVE-2026-0001 in busybox", packages = new List<string> { "busybox-static", "no-such-package" } });
        var staleLog = await StreamLogAsync(server, stale);
        var staleRun = await server.GetJsonAsync($"/api/v1/runs/{stale}");

        noReason.StatusCode.ShouldBe(System.Net.HttpStatusCode.BadRequest);
        (await noReason.Content.ReadAsStringAsync(Ct)).ShouldContain("needs a written reason");
        badName.StatusCode.ShouldBe(System.Net.HttpStatusCode.BadRequest);
        (await badName.Content.ReadAsStringAsync(Ct)).ShouldContain("'Busy_Box' is not a Debian package name");
        staleRun["queue"]!.GetValue<string>().ShouldBe("critical");
        staleRun["emergency"]!.GetValue<bool>().ShouldBeTrue();
        staleRun["state"]!.GetValue<string>().ShouldBe("failed", staleLog);
        staleRun["error"]!.GetValue<string>().ShouldContain($"package busybox-static is still 1:1.35");
        staleRun["error"]!.GetValue<string>().ShouldContain($"as in image {firstImage[..12]}: the archive has no newer version yet");
        staleRun["error"]!.GetValue<string>().ShouldContain("package no-such-package is not in the image");
        staleLog.ShouldContain("EMERGENCY rebuild: CVE-2026-0001 in busybox; a fresh base; must update: busybox-static no-such-package");

        // A fix in the recipe itself, shipped as an emergency: validated on the smoke profile only.
        await repository.CommitAsync(new Dictionary<string, string>
        {
            ["recipes/tiny.yaml"] = RecipeRepository.Tiny("tiny, hotfix").Replace("profiles: [bios-virtio]", "profiles: [bios-virtio, uefi-virtio]\n  smoke: [uefi-virtio]", StringComparison.Ordinal),
        }, "hotfix");
        var fix = await TriggerAsync(server, "/api/v1/recipes/tiny/emergency", new { reason = "broken motd" });
        var fixLog = await StreamLogAsync(server, fix);
        var audit = (await server.GetJsonAsync("/api/v1/audit")).AsArray().Select(a => $"{a!["action"]} {a["detail"]}").ToList();

        fixLog.ShouldEndWith("end:candidate");
        fixLog.ShouldContain("validating (EMERGENCY: the smoke profiles) on uefi-virtio (");
        fixLog.ShouldContain("validation: uefi-virtio passed");
        fixLog.ShouldNotContain("validation: bios-virtio");
        audit.ShouldContain(a => a.StartsWith("EMERGENCY rebuild tiny: run " + fix, StringComparison.Ordinal) && a.Contains("broken motd", StringComparison.Ordinal));
    }

    private static async Task<long> TriggerAsync(TestServer server, string path, object? body)
    {
        var response = body is null ? await server.Http.PostAsync(path, null, Ct) : await server.Http.PostAsJsonAsync(path, body, Ct);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<long>();
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
