using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Waiting;

namespace ImagePipeline.Server.Tests.Api;

/// <summary>What the rollout API refuses, before any machine is touched (the lab tests drive real rollouts).</summary>
public sealed class RolloutApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Machine(string name, string mac, string rack) => new
    {
        name, mac, variant = "bios-virtio", site = "fra1", rack, labels = new Dictionary<string, string> { ["role"] = "web" },
        bmcUrl = "http://127.0.0.1:9", bmcSystem = $"/redfish/v1/Systems/{name}", bmcUser = "admin", bmcPassword = "bmc-secret",
    };

    [Fact]
    public async Task Machines_register_with_their_BMC_and_rollouts_of_unapproved_images_or_empty_selections_are_refused()
    {
        await using var server = await TestServer.StartAsync();
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        var image = await PromotionApiTests.CandidateAsync(server);

        var first = await operatorClient.PostAsJsonAsync("/api/v1/machines", Machine("web-1", "52:54:00:aa:00:01", "r1"), Ct);
        var sameMac = await operatorClient.PostAsJsonAsync("/api/v1/machines", Machine("web-2", "52:54:00:AA:00:01", "r1"), Ct);
        var badSystem = await operatorClient.PostAsJsonAsync("/api/v1/machines", new { name = "web-3", mac = "52:54:00:aa:00:03", variant = "x", bmcUrl = "http://bmc", bmcSystem = "Systems/1" }, Ct);
        var listed = await server.Http.GetStringAsync("/api/v1/machines", Ct);
        var unsigned = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = image, selector = new { labels = new { role = "web" } } }, Ct);
        var unknown = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = "feed", selector = new { rack = "r1" } }, Ct);
        var noImage = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { selector = new { rack = "r1" } }, Ct);
        var badPlan = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = image, selector = new { rack = "r1" }, plan = new { steps = "1+x" } }, Ct);
        var badMode = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = image, selector = new { rack = "r1" }, plan = new { mode = "live" } }, Ct);
        var rollouts = await server.Http.GetStringAsync("/api/v1/rollouts", Ct);

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        sameMac.StatusCode.ShouldBe(HttpStatusCode.Conflict, "MACs compare without case");
        (await badSystem.Content.ReadAsStringAsync(Ct)).ShouldContain("/redfish/v1/Systems/1");
        listed.ShouldContain("web-1");
        listed.ShouldNotContain("bmc-secret");
        unsigned.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await unsigned.Content.ReadAsStringAsync(Ct)).ShouldContain("not approved");
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await noImage.Content.ReadAsStringAsync(Ct)).ShouldContain("imageId is required");
        badPlan.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await badPlan.Content.ReadAsStringAsync(Ct)).ShouldContain("'x' is not a wave size");
        badMode.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await badMode.Content.ReadAsStringAsync(Ct)).ShouldContain("mode 'live' is unknown: use 'reimage'");
        rollouts.ShouldBe("[]", "nothing was started");
    }

    [Fact]
    public async Task Many_machines_register_in_one_batch_and_one_bad_or_taken_entry_registers_none()
    {
        await using var server = await TestServer.StartAsync();
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        var racks = Enumerable.Range(1, 200).Select(i => Machine($"node-{i}", $"52:54:00:bb:{i / 256:x2}:{i % 256:x2}", $"r{i % 4}")).ToList();

        var registered = await operatorClient.PostAsJsonAsync("/api/v1/machines/batch", racks, Ct);
        var oneBad = await operatorClient.PostAsJsonAsync("/api/v1/machines/batch", new object[]
        {
            Machine("extra-1", "52:54:00:bb:10:01", "r1"), new { name = "extra-2", mac = "not-a-mac", variant = "x", bmcUrl = "http://bmc", bmcSystem = "/redfish/v1/Systems/2" },
        }, Ct);
        var taken = await operatorClient.PostAsJsonAsync("/api/v1/machines/batch", new[] { Machine("extra-1", "52:54:00:bb:10:01", "r1"), Machine("node-7", "52:54:00:bb:10:02", "r1") }, Ct);
        var twice = await operatorClient.PostAsJsonAsync("/api/v1/machines/batch", new[] { Machine("extra-1", "52:54:00:bb:10:01", "r1"), Machine("extra-2", "52:54:00:BB:10:01", "r1") }, Ct);
        var listed = JsonNode.Parse(await server.Http.GetStringAsync("/api/v1/machines", Ct))!.AsArray();
        var audit = (await server.GetJsonAsync("/api/v1/audit")).AsArray().Where(a => a!["action"]!.GetValue<string>() == "machines-registered").ToList();

        registered.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await registered.Content.ReadAsStringAsync(Ct)).ShouldBe("""{"registered":200}""");
        oneBad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await oneBad.Content.ReadAsStringAsync(Ct)).ShouldContain("[1] (extra-2): mac is required");
        taken.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await taken.Content.ReadAsStringAsync(Ct)).ShouldContain("machine node-7 (or its MAC) is registered already");
        twice.StatusCode.ShouldBe(HttpStatusCode.BadRequest, "MACs compare without case");
        listed.Count.ShouldBe(200, "no entry of a refused batch was registered");
        listed.ShouldNotContain(m => m!["name"]!.GetValue<string>().StartsWith("extra", StringComparison.Ordinal));
        audit.ShouldHaveSingleItem()!["detail"]!.GetValue<string>().ShouldBe("200 machines: 200 at fra1");
    }

    [Fact]
    public async Task A_machine_is_re_registered_with_PUT_a_new_BMC_and_MAC_but_not_another_machines_MAC_and_not_while_a_rollout_works_on_it()
    {
        await using var server = await TestServer.StartAsync();
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        (await operatorClient.PostAsJsonAsync("/api/v1/machines", Machine("web-1", "52:54:00:aa:00:01", "r1"), Ct)).EnsureSuccessStatusCode();
        (await operatorClient.PostAsJsonAsync("/api/v1/machines", Machine("web-2", "52:54:00:aa:00:02", "r1"), Ct)).EnsureSuccessStatusCode();

        var moved = await operatorClient.PutAsJsonAsync("/api/v1/machines/web-1", Machine("ignored", "52:54:00:aa:00:11", "r7"), Ct);
        var created = await operatorClient.PutAsJsonAsync("/api/v1/machines/web-3", Machine("web-3", "52:54:00:aa:00:03", "r1"), Ct);
        var stolen = await operatorClient.PutAsJsonAsync("/api/v1/machines/web-1", Machine("web-1", "52:54:00:aa:00:02", "r1"), Ct);
        var machines = JsonNode.Parse(await server.Http.GetStringAsync("/api/v1/machines", Ct))!.AsArray();

        moved.StatusCode.ShouldBe(HttpStatusCode.OK);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        stolen.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await stolen.Content.ReadAsStringAsync(Ct)).ShouldContain("belongs to another machine");
        var web1 = machines.Single(m => m!["name"]!.GetValue<string>() == "web-1")!;
        (web1["mac"]!.GetValue<string>(), web1["rack"]!.GetValue<string>()).ShouldBe(("52:54:00:aa:00:11", "r7"));
        machines.Count.ShouldBe(3);

        using var approver = await server.ClientAsync(Roles.Approver);
        var image = await PromotionApiTests.CandidateAsync(server);
        var asked = JsonNode.Parse(await (await operatorClient.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { comment = "staging" }, Ct)).Content.ReadAsStringAsync(Ct))!;
        (await approver.PostAsJsonAsync($"/api/v1/promotions/{asked["id"]}/approve", new { comment = "ok" }, Ct)).EnsureSuccessStatusCode();
        (await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = image, selector = new { machines = new List<string> { "web-3" } } }, Ct)).EnsureSuccessStatusCode();
        var busy = await operatorClient.PutAsJsonAsync("/api/v1/machines/web-3", Machine("web-3", "52:54:00:aa:00:33", "r1"), Ct);

        busy.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await busy.Content.ReadAsStringAsync(Ct)).ShouldContain("is in rollout");
    }

    [Theory]
    [MemberData(nameof(TestServer.Stores), MemberType = typeof(TestServer))]
    public async Task A_rollout_whose_canary_cannot_be_reached_pauses_at_the_canary_and_touches_no_other_machine(string store)
    {
        // No boot service is configured: starting the canary's deployment fails, as an unreachable BMC would.
        await using var server = await TestServer.StartAsync(store);
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        using var approver = await server.ClientAsync(Roles.Approver);
        var image = await PromotionApiTests.CandidateAsync(server);
        var asked = JsonNode.Parse(await (await operatorClient.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { comment = "staging" }, Ct)).Content.ReadAsStringAsync(Ct))!;
        (await approver.PostAsJsonAsync($"/api/v1/promotions/{asked["id"]}/approve", new { comment = "ok" }, Ct)).EnsureSuccessStatusCode();
        foreach (var (name, i) in Enumerable.Range(1, 3).Select(i => ($"web-{i}", i - 1)))
            (await operatorClient.PostAsJsonAsync("/api/v1/machines", Machine(name, $"52:54:00:aa:00:0{i + 1}", "r1"), Ct)).EnsureSuccessStatusCode();

        var started = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = image, selector = new { labels = new { role = "web" } }, plan = new { steps = "1+2" } }, Ct);
        var id = JsonNode.Parse(await started.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<long>();
        var again = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = image, selector = new { rack = "r1" } }, Ct);
        JsonNode view = null!;
        await Eventually.WaitAsync("the rollout to pause", async () => (view = await server.GetJsonAsync($"/api/v1/rollouts/{id}"))["state"]!.GetValue<string>() == "paused", 30);
        var aborted = await operatorClient.PostAsync($"/api/v1/rollouts/{id}/abort", null, Ct);
        var resumed = await operatorClient.PostAsync($"/api/v1/rollouts/{id}/resume", null, Ct);

        started.StatusCode.ShouldBe(HttpStatusCode.Created);
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict, "the machines are in an active rollout");
        (await again.Content.ReadAsStringAsync(Ct)).ShouldContain($"is in rollout {id}");
        view["reason"]!.GetValue<string>().ShouldContain("canary failed: 1 of 1 machines failed (limit 0)");
        var targets = view["targets"]!.AsArray();
        targets.Single(t => t!["wave"]!.GetValue<int>() == 0)!["reason"]!.GetValue<string>().ShouldContain("--boot-service");
        targets.Where(t => t!["wave"]!.GetValue<int>() > 0).ShouldAllBe(t => t!["state"]!.GetValue<string>() == "pending");
        aborted.StatusCode.ShouldBe(HttpStatusCode.OK);
        resumed.StatusCode.ShouldBe(HttpStatusCode.Conflict, "an aborted rollout stays aborted");
    }

    [Fact]
    public async Task Resuming_after_the_last_wave_failed_completes_the_rollout_with_its_failures_counted()
    {
        await using var server = await TestServer.StartAsync();
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        using var approver = await server.ClientAsync(Roles.Approver);
        var image = await PromotionApiTests.CandidateAsync(server);
        var asked = JsonNode.Parse(await (await operatorClient.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { comment = "staging" }, Ct)).Content.ReadAsStringAsync(Ct))!;
        (await approver.PostAsJsonAsync($"/api/v1/promotions/{asked["id"]}/approve", new { comment = "ok" }, Ct)).EnsureSuccessStatusCode();
        (await operatorClient.PostAsJsonAsync("/api/v1/machines", Machine("solo-1", "52:54:00:bb:00:01", "r9"), Ct)).EnsureSuccessStatusCode();
        var started = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId = image, selector = new { rack = "r9" }, plan = new { steps = "1" } }, Ct);
        var id = JsonNode.Parse(await started.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<long>();
        await Eventually.WaitAsync("the canary to fail", async () => (await server.GetJsonAsync($"/api/v1/rollouts/{id}"))["state"]!.GetValue<string>() == "paused", 30);

        (await operatorClient.PostAsync($"/api/v1/rollouts/{id}/resume", null, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonNode view = null!;
        await Eventually.WaitAsync("the rollout to end", async () => (view = await server.GetJsonAsync($"/api/v1/rollouts/{id}"))["state"]!.GetValue<string>() != "running", 30);

        view["state"]!.GetValue<string>().ShouldBe("completed");
        view["reason"]!.GetValue<string>().ShouldBe("completed after a resume: 0 of 1 machines healthy, 1 failed");
        view["wave"]!.GetValue<int>().ShouldBe(0, "there is no wave after the last");
    }
}
