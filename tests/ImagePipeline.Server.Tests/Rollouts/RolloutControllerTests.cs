using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Api;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Waiting;

namespace ImagePipeline.Server.Tests.Rollouts;

/// <summary>The controller against the real boot service and agent API (machines simulated behind a Redfish service).</summary>
public sealed class RolloutControllerTests : IDisposable
{
    private readonly DirectoryInfo bootData = Directory.CreateTempSubdirectory("imagepipe-controller-");
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("imagepipe-controller-server-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_failed_canary_whose_rollback_is_refused_leaves_the_rollout_paused_and_never_reaches_the_next_wave_even_after_a_restart()
    {
        var port = ServerProcess.FreePort();
        var bootUrl = new Uri($"http://127.0.0.1:{port}/");
        await using var bootService = await BootServiceHost.StartAsync(port, bootData.FullName, Path.Combine(data.FullName, "artifacts", "sha256"));
        await using var fleet = await SimulatedFleet.StartAsync(bootUrl, "web-1", "web-2");
        fleet.Unhealthy["web-1"] = true;
        fleet.Unhealthy["web-2"] = true;
        long id;
        await using (var server = await TestServer.StartAsync(configure: o => o with { DataDirectory = data.FullName, BootServiceUrl = bootUrl, BootServiceToken = BootServiceHost.AdminToken }))
        {
            using var operatorClient = await server.ClientAsync(Roles.Operator);
            using var approver = await server.ClientAsync(Roles.Approver);
            await fleet.RegisterAsync(operatorClient, "fra1");
            // The recipe's first image: no earlier production image to roll back to.
            var image = await PromotionApiTests.SignedAsync(server, operatorClient, approver);
            var started = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new
            {
                imageId = image, selector = new { site = "fra1" }, plan = new { steps = "1+1", bakeSeconds = 0, waveTimeoutSeconds = 120, rollbackOnFailure = true },
            }, Ct);
            started.EnsureSuccessStatusCode();
            id = JsonNode.Parse(await started.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<long>();
            // Paused is written with the verdict, before the rollback is tried: wait for the rollback's answer too.
            await Eventually.WaitAsync("the canary's verdict and the rollback's refusal", async () =>
                (await server.GetJsonAsync($"/api/v1/rollouts/{id}"))["reason"]!.GetValue<string>().Contains("refused", StringComparison.Ordinal), 120);
        }

        // Another server process on the same store takes over the rollouts.
        await using var next = await TestServer.StartAsync(configure: o => o with { DataDirectory = data.FullName, BootServiceUrl = bootUrl, BootServiceToken = BootServiceHost.AdminToken });
        await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        var rollout = await next.GetJsonAsync($"/api/v1/rollouts/{id}");
        var audit = (await next.GetJsonAsync("/api/v1/audit")).AsArray().Select(a => a!["action"]!.GetValue<string>()).ToList();

        rollout["state"]!.GetValue<string>().ShouldBe("paused", rollout.ToJsonString());
        rollout["wave"]!.GetValue<int>().ShouldBe(0);
        rollout["reason"]!.GetValue<string>().ShouldContain("the rollback was refused: no previous production image");
        audit.ShouldContain("rollout-rollback-refused");
        fleet.Resets.Keys.Count.ShouldBe(1, "the second wave's machine was never power-cycled with the bad image");
    }

    [Fact]
    public async Task An_in_place_rollout_updates_the_machine_on_ab_slots_without_a_power_cycle_and_reimages_the_other()
    {
        var port = ServerProcess.FreePort();
        await using var bootService = await BootServiceHost.StartAsync(port, bootData.FullName, Path.Combine(data.FullName, "artifacts", "sha256"));
        await using var fleet = await SimulatedFleet.StartAsync(bootService.Url, "web-1", "web-2");
        fleet.Slotted["web-1"] = true;
        await using var server = await ServerOnAsync(bootService);
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        var (first, next) = await TwoSignedImagesAsync(server, fleet, operatorClient);

        // Both machines get the first image by reimage; then the next one in place where the machine can.
        await CompletedAsync(server, operatorClient, first, mode: null);
        var rollout = await CompletedAsync(server, operatorClient, next, mode: "in-place");

        fleet.Resets["web-1"].ShouldBe(1, "the machine on A/B slots was not power-cycled for the in-place update");
        fleet.InPlaceUpdates["web-1"].ShouldBe(1);
        fleet.Resets["web-2"].ShouldBe(2, "the machine without slots was reimaged");
        fleet.InPlaceUpdates.ContainsKey("web-2").ShouldBeFalse();
        var targets = rollout["targets"]!.AsArray().ToDictionary(t => t!["machine"]!.GetValue<string>(), t => t!["reason"]?.GetValue<string>());
        targets["web-1"].ShouldBe("updating in place");
        targets["web-2"]!.ShouldContain("reimaged: no healthy running system on A/B slots");
        using var bootApi = new HttpClient { BaseAddress = bootService.Url };
        bootApi.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", BootServiceHost.AdminToken);
        var machine = JsonNode.Parse(await bootApi.GetStringAsync($"api/v1/machines/{fleet.Macs["web-1"]}", Ct))!["machine"]!;
        (machine["slot"]?.GetValue<string>(), machine["currentImage"]?.GetValue<string>()).ShouldBe(("b", next));
    }

    [Fact]
    public async Task An_in_place_canary_that_falls_back_to_its_old_slot_pauses_the_rollout_with_the_reason()
    {
        var port = ServerProcess.FreePort();
        await using var bootService = await BootServiceHost.StartAsync(port, bootData.FullName, Path.Combine(data.FullName, "artifacts", "sha256"));
        await using var fleet = await SimulatedFleet.StartAsync(bootService.Url, "web-1", "web-2");
        fleet.Slotted["web-1"] = fleet.Slotted["web-2"] = true;
        await using var server = await ServerOnAsync(bootService);
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        var (first, panicking) = await TwoSignedImagesAsync(server, fleet, operatorClient);
        await CompletedAsync(server, operatorClient, first, mode: null);
        fleet.FailsTrial["web-1"] = fleet.FailsTrial["web-2"] = true;

        var id = await StartAsync(operatorClient, panicking, "in-place");
        JsonNode rollout = new JsonObject();
        await Eventually.WaitAsync("the in-place canary's verdict", async () =>
        {
            rollout = await server.GetJsonAsync($"/api/v1/rollouts/{id}");
            return rollout["state"]!.GetValue<string>() == "paused";
        }, 120);

        rollout["wave"]!.GetValue<int>().ShouldBe(0);
        rollout["reason"]!.GetValue<string>().ShouldContain($"image {panicking} did not come up healthy on its trial boot; the machine fell back to slot a");
        fleet.InPlaceUpdates.Values.Sum().ShouldBe(1, "the second wave's machine was never given the image");
        fleet.Resets.Values.Sum().ShouldBe(2, "only the first rollout's reimages power-cycled machines");
    }

    /// <summary>A rollout of <paramref name="image"/> over fra1 in two waves without bake time, followed until it completes.</summary>
    private static async Task<JsonNode> CompletedAsync(TestServer server, HttpClient operatorClient, string image, string? mode)
    {
        var id = await StartAsync(operatorClient, image, mode);
        JsonNode rollout = new JsonObject();
        await Eventually.WaitAsync($"rollout {id} to complete", async () =>
        {
            rollout = await server.GetJsonAsync($"/api/v1/rollouts/{id}");
            rollout["state"]!.GetValue<string>().ShouldNotBe("paused", rollout.ToJsonString());
            return rollout["state"]!.GetValue<string>() == "completed";
        }, 120);
        return rollout;
    }

    /// <summary>A rollout of <paramref name="image"/> over fra1 in two waves without bake time; its id.</summary>
    private static async Task<long> StartAsync(HttpClient operatorClient, string image, string? mode)
    {
        var started = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new
        {
            imageId = image, selector = new { site = "fra1" }, plan = new { steps = "1+1", bakeSeconds = 0, waveTimeoutSeconds = 120, mode },
        }, Ct);
        started.EnsureSuccessStatusCode();
        return JsonNode.Parse(await started.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<long>();
    }

    private Task<TestServer> ServerOnAsync(BootServiceHost bootService) =>
        TestServer.StartAsync(configure: o => o with { DataDirectory = data.FullName, BootServiceUrl = bootService.Url, BootServiceToken = BootServiceHost.AdminToken });

    /// <summary>The fleet registered at fra1, and two images approved (signed) for it.</summary>
    private static async Task<(string First, string Second)> TwoSignedImagesAsync(TestServer server, SimulatedFleet fleet, HttpClient operatorClient)
    {
        using var approver = await server.ClientAsync(Roles.Approver);
        await fleet.RegisterAsync(operatorClient, "fra1");
        return (await PromotionApiTests.SignedAsync(server, operatorClient, approver), await PromotionApiTests.SignedAsync(server, operatorClient, approver));
    }

    public void Dispose()
    {
        bootData.Delete(recursive: true);
        data.Delete(recursive: true);
    }
}
