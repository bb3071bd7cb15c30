using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Server.Webhooks;
using ImagePipeline.Tests.Seed;
using ImagePipeline.Tests.Waiting;
using OpenTelemetry.Trace;

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
        var spans = new List<Activity>();
        var bootPort = ServerProcess.FreePort();
        var bootUrl = new Uri($"http://127.0.0.1:{bootPort}/");
        await using var server = await TestServer.StartAsync(configure: o => o with
        {
            BootServiceUrl = bootUrl, BootServiceToken = BootServiceHost.AdminToken, TraceExporter = tracing => tracing.AddInMemoryExporter(spans),
        });
        await SeededBase.IntoAsync(server.DataDirectory, Ct);
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
        await TheRunIsOneTraceThroughItsRolloutAsync(server, bootPort, image["imageId"]!.GetValue<string>(), runId, spans);

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
    /// Part of the test above (its build and validation are the trace's first half): the candidate
    /// promoted and rolled out (1+1) onto two simulated machines through the real boot service; the
    /// spans the server exported (the SDK's in-memory exporter) make one trace rooted at the run's
    /// trigger: build and its stages, validation and its profile, the promotion, the rollout's
    /// start, its two waves, each machine's deployment and that deployment's phases, each under
    /// the span it belongs to.
    /// </summary>
    private static async Task TheRunIsOneTraceThroughItsRolloutAsync(TestServer server, int bootPort, string imageId, long runId, List<Activity> spans)
    {
        var bootData = Directory.CreateTempSubdirectory("imagepipe-pipeline-bootsvc-");
        await using var bootService = await BootServiceHost.StartAsync(bootPort, bootData.FullName, Path.Combine(server.DataDirectory, "artifacts", "sha256"));
        await using var fleet = await SimulatedFleet.StartAsync(bootService.Url, "traced-1", "traced-2");
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        using var approver = await server.ClientAsync(Roles.Approver);
        await fleet.RegisterAsync(operatorClient, "fra1");
        var asked = JsonNode.Parse(await (await server.Http.PostAsJsonAsync($"/api/v1/images/{imageId}/promotions", new { comment = "traced" }, Ct)).Content.ReadAsStringAsync(Ct))!;
        (await approver.PostAsJsonAsync($"/api/v1/promotions/{asked["id"]}/approve", new { comment = "ok" }, Ct)).EnsureSuccessStatusCode();
        var started = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new
        {
            imageId, selector = new { site = "fra1" }, plan = new { steps = "1+1", bakeSeconds = 0, waveTimeoutSeconds = 300 },
        }, Ct);
        started.EnsureSuccessStatusCode();
        var rolloutId = JsonNode.Parse(await started.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<long>();
        await Eventually.WaitAsync("the rollout to end", async () => (await server.GetJsonAsync($"/api/v1/rollouts/{rolloutId}"))["state"]!.GetValue<string>() != "running", 120);

        List<Activity> exported;
        lock (spans)
            exported = [.. spans];
        // Other tests' servers in this process export into the same listener: this run's trace only.
        var trigger = exported.Single(s => s.OperationName == "pipeline.trigger" && Equals(s.GetTagItem("imagepipeline.run"), runId));
        var trace = exported.Where(s => s.TraceId == trigger.TraceId).ToList();
        IReadOnlyList<Activity> Under(Activity parent, string name) => [.. trace.Where(s => s.OperationName == name && s.ParentSpanId == parent.SpanId)];

        (await server.GetJsonAsync($"/api/v1/rollouts/{rolloutId}"))["state"]!.GetValue<string>().ShouldBe("completed");
        trigger.ParentSpanId.ShouldBe(default, "a webhook's run starts its own trace");
        trigger.GetTagItem("imagepipeline.trigger").ShouldBe("webhook");
        var build = Under(trigger, "pipeline.build").ShouldHaveSingleItem();
        Under(build, "pipeline.build.stage").Select(s => s.GetTagItem("imagepipeline.stage")).ShouldContain("disk");
        var validate = Under(trigger, "pipeline.validate").ShouldHaveSingleItem();
        Under(validate, "pipeline.validate.profile").ShouldHaveSingleItem().GetTagItem("imagepipeline.profile").ShouldBe("bios-virtio");
        Under(trigger, "pipeline.promotion").ShouldHaveSingleItem().GetTagItem("imagepipeline.decision").ShouldBe("approved");
        var rollout = Under(trigger, "rollout.start").ShouldHaveSingleItem();
        rollout.GetTagItem("imagepipeline.rollout").ShouldBe(rolloutId);
        var waves = Under(rollout, "rollout.wave");
        waves.Select(w => w.GetTagItem("imagepipeline.wave")).ShouldBe([0, 1], ignoreOrder: true);
        foreach (var wave in waves)
        {
            var machine = Under(wave, "machine.deploy").ShouldHaveSingleItem();
            machine.GetTagItem("imagepipeline.outcome").ShouldBe("healthy");
            // A machine the boot service first hears of by its desired image is "discovered" until it netboots.
            var phases = Under(machine, "machine.phase").OrderBy(p => p.StartTimeUtc).Select(p => (string)p.GetTagItem("imagepipeline.phase")!).ToList();
            phases.ShouldBe(["starting", "discovered", "deploying", "booting"]);
            Under(machine, "machine.phase").Max(p => p.StartTimeUtc + p.Duration).ShouldBe(machine.StartTimeUtc + machine.Duration, TimeSpan.FromMilliseconds(1), "the last phase ends with the deployment");
            machine.StartTimeUtc.ShouldBeGreaterThanOrEqualTo(wave.StartTimeUtc);
        }

        await bootService.StopAsync();
        bootData.Delete(recursive: true);
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
