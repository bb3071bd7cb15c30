using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.BootService.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.BootService.Tests.Http;

public sealed class AgentApiTests
{
    private const string Mac = "52:54:00:cc:00:01";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly HardwareFacts Facts = AgentRequests.Facts(Mac);

    private static async Task<string> TokenFromScriptAsync(InProcessBootService service)
    {
        var script = await service.Client.GetStringAsync($"/boot/{Mac}.ipxe", Ct);
        return AgentTokens.In(script);
    }

    [Fact]
    public async Task Calls_without_the_machine_token_are_refused()
    {
        await using var service = await InProcessBootService.StartAsync();
        await TokenFromScriptAsync(service);
        var register = new RegisterRequest { AgentVersion = "1", Facts = Facts };

        using var none = await AgentRequests.PostAsync(service, AgentRoutes.Register, register, null);
        using var wrong = await AgentRequests.PostAsync(service, AgentRoutes.Register, register, "forged");

        none.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_machine_registers_gets_its_image_reports_the_write_and_then_its_health()
    {
        await using var service = await InProcessBootService.StartAsync();
        using var setDesired = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/machines/{Mac}/desired-image")
        {
            Content = JsonContent.Create(new { imageId = InProcessBootService.ImageId }),
        };
        setDesired.Headers.Authorization = new AuthenticationHeaderValue("Bearer", InProcessBootService.AdminToken);
        (await service.Client.SendAsync(setDesired, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var token = await TokenFromScriptAsync(service);

        using var registered = await AgentRequests.PostAsync(service, AgentRoutes.Register, new RegisterRequest { AgentVersion = "1", Facts = Facts }, token);
        var assignment = (await registered.Content.ReadFromJsonAsync(ProtocolJson.Default.RegisterResponse, Ct))!.Assignment!;
        using var progress = await AgentRequests.PostAsync(service, AgentRoutes.Progress, new ProgressReport("writing", 100, 200, 50, 2), token);
        using var result = await AgentRequests.PostAsync(service, AgentRoutes.Result, new DeployResult { ImageId = assignment.ImageId, Succeeded = true, TargetDisk = "/dev/vda", Seconds = 4 }, token);
        var local = await service.Client.GetStringAsync($"/boot/{Mac}.ipxe", Ct);
        using var health = await AgentRequests.PostAsync(service, AgentRoutes.Health, new HealthReport
        {
            ImageId = InProcessBootService.ImageId, Kernel = "6.1.0", BootSeconds = 9, FailedUnits = [], Checks = [new HealthCheckResult("http", true, null)],
        }, token);

        assignment.ImageUrl.ShouldEndWith($"/images/{InProcessBootService.ImageId}/disk.raw.zst");
        assignment.Sha256.ShouldBe(InProcessBootService.ImageId);
        assignment.SizeBytes.ShouldBe(1073741824);
        assignment.GrowRoot.ShouldBeTrue();
        progress.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        result.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        local.ShouldContain("booting the local disk");
        (await health.Content.ReadFromJsonAsync(ProtocolJson.Default.HealthAcknowledgement, Ct))!.State.ShouldBe("healthy");
        var inventory = service.Services.GetRequiredService<IMachineInventory>();
        var machine = (await inventory.GetByMacAsync(Mac, Ct))!;
        machine.State.ShouldBe(MachineState.Healthy);
        machine.Facts!.Disks[0].Serial.ShouldBe("disk0");
        (await inventory.EventsAsync(Mac, Ct)).Select(e => e.Kind).ShouldBe(["discovered", "desired-image", "deploying", "registered", "booting", "healthy"]);
    }

    [Fact]
    public async Task A_failed_check_marks_the_machine_failed_with_the_reason()
    {
        await using var service = await InProcessBootService.StartAsync();
        var inventory = service.Services.GetRequiredService<IMachineInventory>();
        await inventory.DiscoverAsync(Mac, Ct);
        await inventory.SetDesiredImageAsync(Mac, InProcessBootService.ImageId, Ct);
        var token = await TokenFromScriptAsync(service);
        (await AgentRequests.PostAsync(service, AgentRoutes.Result, new DeployResult { ImageId = InProcessBootService.ImageId, Succeeded = true }, token)).Dispose();

        using var health = await AgentRequests.PostAsync(service, AgentRoutes.Health, new HealthReport
        {
            ImageId = InProcessBootService.ImageId, Kernel = "6.1.0", BootSeconds = 9, FailedUnits = ["nginx.service"], Checks = [new HealthCheckResult("http", false, "port 80 closed")],
        }, token);

        var acknowledgement = (await health.Content.ReadFromJsonAsync(ProtocolJson.Default.HealthAcknowledgement, Ct))!;
        acknowledgement.State.ShouldBe("failed");
        acknowledgement.Reasons.ShouldBe(["failed unit nginx.service", "check http failed: port 80 closed"]);
        (await inventory.GetByMacAsync(Mac, Ct))!.LastError!.ShouldContain("port 80 closed");
    }

    [Fact]
    public async Task A_deploy_failure_is_recorded_and_the_machine_deploys_again_on_its_next_boot()
    {
        await using var service = await InProcessBootService.StartAsync();
        var inventory = service.Services.GetRequiredService<IMachineInventory>();
        await inventory.DiscoverAsync(Mac, Ct);
        await inventory.SetDesiredImageAsync(Mac, InProcessBootService.ImageId, Ct);
        var token = await TokenFromScriptAsync(service);

        using var result = await AgentRequests.PostAsync(service, AgentRoutes.Result, new DeployResult { ImageId = InProcessBootService.ImageId, Succeeded = false, Reason = "sha256 mismatch" }, token);
        var next = await service.Client.GetStringAsync($"/boot/{Mac}.ipxe", Ct);

        result.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        next.ShouldContain($"deploying image {InProcessBootService.ImageId}");
        var events = await inventory.EventsAsync(Mac, Ct);
        events.ShouldContain(e => e.Kind == "failed" && e.Detail.Contains("sha256 mismatch", StringComparison.Ordinal));
        events[^1].Detail.ShouldContain("attempt 2 of 3");
        (await inventory.GetByMacAsync(Mac, Ct))!.DeployAttempts.ShouldBe(2);
    }

    [Fact]
    public async Task Setting_a_desired_image_needs_the_admin_token()
    {
        await using var service = await InProcessBootService.StartAsync();

        using var response = await service.Client.PutAsJsonAsync($"/api/v1/machines/{Mac}/desired-image", new { imageId = "x" }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await service.Services.GetRequiredService<IMachineInventory>().GetByMacAsync(Mac, Ct)).ShouldBeNull();
    }
}
