using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ImagePipeline.Loops;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Api;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Waiting;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Tests.Rollouts;

/// <summary>
/// A rollout through the real boot service and its agent API (machines simulated behind a Redfish
/// service), whose boot service goes away after the canary and comes back: the controller's rounds
/// back off and are logged once, no machine is marked failed for it, and the rollout goes on from
/// its wave to the end.
/// </summary>
[Collection(OutageTests.Name)]
public sealed class BootServiceOutageTests : IDisposable
{
    private readonly DirectoryInfo bootData = Directory.CreateTempSubdirectory("imagepipe-bootsvc-outage-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_rollout_whose_boot_service_goes_away_after_the_canary_waits_for_it_without_failing_a_machine_and_completes_from_its_wave()
    {
        var port = ServerProcess.FreePort();
        var bootUrl = new Uri($"http://127.0.0.1:{port}/");
        await using var server = await TestServer.StartAsync(configure: o => o with { BootServiceUrl = bootUrl, BootServiceToken = BootServiceHost.AdminToken });
        await using var bootService = await BootServiceHost.StartAsync(port, bootData.FullName, Path.Combine(server.DataDirectory, "artifacts", "sha256"));
        await using var fleet = await SimulatedFleet.StartAsync(bootUrl, "web-1", "web-2", "web-3");
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        using var approver = await server.ClientAsync(Roles.Approver);
        await fleet.RegisterAsync(operatorClient, "fra1");
        var image = await PromotionApiTests.SignedAsync(server, operatorClient, approver);
        var started = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new
        {
            imageId = image, selector = new { site = "fra1" }, plan = new { steps = "1+2", bakeSeconds = 0, waveTimeoutSeconds = 300 },
        }, Ct);
        started.EnsureSuccessStatusCode();
        var id = JsonNode.Parse(await started.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<long>();

        // The controller starts wave 1 as soon as the canary passes: the audit keeps the pass.
        await Eventually.WaitAsync("the canary to pass", async () => (await server.GetJsonAsync("/api/v1/audit")).AsArray().Any(a => a!["action"]!.GetValue<string>() == "rollout-wave-passed"), 120);
        await bootService.StopAsync();
        var pacer = server.Services.GetRequiredService<LoopRegistry>().All.Single(p => p.Name == ServerLoops.RolloutController);
        var (rounds, lines) = (pacer.Rounds, pacer.LogLines);
        await Eventually.WaitAsync("the controller to notice", () => Task.FromResult(pacer.ConsecutiveFailures > 0), 30);
        var away = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(20), Ct);
        var during = (Rounds: pacer.Rounds - rounds, Lines: pacer.LogLines - lines, Seconds: away.Elapsed.TotalSeconds);
        var waiting = await server.GetJsonAsync($"/api/v1/rollouts/{id}");
        await bootService.StartAsync();
        await Eventually.WaitAsync("the rollout to end", async () => (await server.GetJsonAsync($"/api/v1/rollouts/{id}"))["state"]!.GetValue<string>() != "running", 180);
        var done = await server.GetJsonAsync($"/api/v1/rollouts/{id}");
        var audit = (await server.GetJsonAsync("/api/v1/audit")).AsArray().Select(a => a!["action"]!.GetValue<string>()).ToList();

        done["state"]!.GetValue<string>().ShouldBe("completed", done.ToJsonString());
        done["targets"]!.AsArray().ShouldAllBe(t => t!["state"]!.GetValue<string>() == "healthy");
        waiting["state"]!.GetValue<string>().ShouldBe("running", "an unreachable boot service pauses nothing by itself");
        waiting["targets"]!.AsArray().ShouldNotContain(t => t!["state"]!.GetValue<string>() == "failed");
        (during.Rounds / during.Seconds).ShouldBeLessThanOrEqualTo(2, $"{during.Rounds} rounds in {during.Seconds:0} s");
        during.Lines.ShouldBeLessThanOrEqualTo(2, "the repeated error is logged once");
        pacer.ConsecutiveFailures.ShouldBe(0, "it recovered");
        audit.Count(a => a == "rollout-wave-started").ShouldBe(2, "each wave started once");
        fleet.Resets.Values.ShouldAllBe(n => n == 1, "no machine was power-cycled twice");
        bootService.Requests.ShouldNotContain(r => r.StartsWith("GET /api/v1/machines", StringComparison.Ordinal), "the controller follows the event feed, it never asks per machine");
        bootService.Requests.ShouldContain(r => r == "GET /api/v1/events");
    }

    [Fact]
    public async Task A_two_site_rollout_whose_one_sites_boot_service_stops_mid_wave_holds_only_that_sites_machines_with_the_reason_and_completes_once_it_is_back()
    {
        var (fraPort, zrhPort) = (ServerProcess.FreePort(), ServerProcess.FreePort());
        var (fraUrl, zrhUrl) = (new Uri($"http://127.0.0.1:{fraPort}/"), new Uri($"http://127.0.0.1:{zrhPort}/"));
        await using var server = await TestServer.StartAsync(configure: o => o with
        {
            Sites = [new BootServiceSite("fra1", fraUrl, BootServiceHost.AdminToken), new BootServiceSite("zrh1", zrhUrl, BootServiceHost.AdminToken)],
        });
        var artifacts = Path.Combine(server.DataDirectory, "artifacts", "sha256");
        await using var fra = await BootServiceHost.StartAsync(fraPort, Path.Combine(bootData.FullName, "fra1"), artifacts);
        await using var zrh = await BootServiceHost.StartAsync(zrhPort, Path.Combine(bootData.FullName, "zrh1"), artifacts);
        await using var fraFleet = await SimulatedFleet.StartAsync(fraUrl, 1, "fra-1", "fra-2");
        await using var zrhFleet = await SimulatedFleet.StartAsync(zrhUrl, 2, "zrh-1", "zrh-2");
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        using var approver = await server.ClientAsync(Roles.Approver);
        await fraFleet.RegisterAsync(operatorClient, "fra1");
        await zrhFleet.RegisterAsync(operatorClient, "zrh1");
        foreach (var machine in zrhFleet.Macs.Keys)
            zrhFleet.HeldAtPowerOn[machine] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var image = await PromotionApiTests.SignedAsync(server, operatorClient, approver);
        var started = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new
        {
            imageId = image, selector = new { rack = "r1" }, plan = new { steps = "1+3", bakeSeconds = 0, waveTimeoutSeconds = 600 },
        }, Ct);
        started.EnsureSuccessStatusCode();
        var id = JsonNode.Parse(await started.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<long>();
        JsonNode Target(JsonNode rollout, string machine) => rollout["targets"]!.AsArray().Single(t => t!["machine"]!.GetValue<string>() == machine)!;

        // The canary is fra-1 (the planner takes machines in name order); wave 1 (fra-2, zrh-1, zrh-2) starts, and zrh1's
        // machines are still at power-on when its boot service stops.
        await Eventually.WaitAsync("wave 1 to start", async () => Target(await server.GetJsonAsync($"/api/v1/rollouts/{id}"), "zrh-2")["state"]!.GetValue<string>() == "deploying", 120);
        await zrh.StopAsync();
        foreach (var held in zrhFleet.HeldAtPowerOn.Values)
            held.SetResult();
        await Eventually.WaitAsync("fra-2 healthy and zrh1's machines waiting", async () =>
        {
            var rollout = await server.GetJsonAsync($"/api/v1/rollouts/{id}");
            return Target(rollout, "fra-2")["state"]!.GetValue<string>() == "healthy" && rollout["reason"]!.GetValue<string>().Contains("site zrh1's boot service", StringComparison.Ordinal);
        }, 120);
        var waiting = await server.GetJsonAsync($"/api/v1/rollouts/{id}");
        await zrh.StartAsync();
        await Eventually.WaitAsync("the rollout to end", async () => (await server.GetJsonAsync($"/api/v1/rollouts/{id}"))["state"]!.GetValue<string>() != "running", 180);
        var done = await server.GetJsonAsync($"/api/v1/rollouts/{id}");

        waiting["state"]!.GetValue<string>().ShouldBe("running", "one site away pauses only its own machines");
        waiting["reason"]!.GetValue<string>().ShouldContain($"waiting: site zrh1's boot service {zrhUrl} is unreachable");
        waiting["reason"]!.GetValue<string>().ShouldContain("(zrh-1, zrh-2)");
        Target(waiting, "zrh-1")["state"]!.GetValue<string>().ShouldBe("deploying", "not failed for its boot service's outage");
        Target(waiting, "fra-1")["state"]!.GetValue<string>().ShouldBe("healthy");
        done["state"]!.GetValue<string>().ShouldBe("completed", done.ToJsonString());
        done["targets"]!.AsArray().ShouldAllBe(t => t!["state"]!.GetValue<string>() == "healthy");
        fraFleet.Resets.Values.Concat(zrhFleet.Resets.Values).ShouldAllBe(n => n == 1, "no machine was power-cycled twice");
        fra.Requests.ShouldContain("PUT /api/v1/desired-images", "each site's machines were told through their own boot service");
        zrh.Requests.ShouldContain("PUT /api/v1/desired-images");
        fra.Requests.Concat(zrh.Requests).ShouldNotContain(r => r.StartsWith("GET /api/v1/machines", StringComparison.Ordinal), "followed by feed, never asked per machine");
    }

    public void Dispose() => bootData.Delete(recursive: true);
}
