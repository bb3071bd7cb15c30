using System.Net;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Tests.Support;

namespace ImagePipeline.BootService.Tests.Http;

/// <summary>The operator API and its one typed client (the server's, the lab's and the CLI's): what the boot service writes, the client reads, states and all.</summary>
public sealed class InventoryApiTests
{
    private const string Mac = "52:54:00:cc:00:02";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_typed_client_reads_a_deploying_machine_its_state_hardware_progress_and_history()
    {
        await using var service = await InProcessBootService.StartAsync();
        var client = new BootServiceClient(service.Client, service.Client.BaseAddress!, InProcessBootService.AdminToken);
        var unknown = await client.GetAsync(Mac, Ct);

        await client.SetDesiredImageAsync(Mac, InProcessBootService.ImageId, Ct);
        var token = AgentTokens.In(await service.Client.GetStringAsync($"/boot/{Mac}.ipxe", Ct));
        (await AgentRequests.PostAsync(service, AgentRoutes.Register, new RegisterRequest { AgentVersion = "1", Facts = AgentRequests.Facts(Mac) }, token)).Dispose();
        (await AgentRequests.PostAsync(service, AgentRoutes.Progress, new ProgressReport("writing", 100, 200, 50, 2), token)).Dispose();

        unknown.ShouldBeNull("a MAC the boot service never saw");
        var detail = (await client.DetailAsync(Mac, Ct)).ShouldNotBeNull();
        detail.Machine.State.ShouldBe(MachineState.Deploying);
        detail.Machine.DesiredImage.ShouldBe(InProcessBootService.ImageId);
        detail.Machine.Facts.ShouldNotBeNull().Disks.ShouldHaveSingleItem().Serial.ShouldBe("disk0");
        detail.Progress.ShouldNotBeNull().BytesDone.ShouldBe(100);
        (await client.ListAsync(Ct)).ShouldHaveSingleItem().Mac.ShouldBe(Mac);
        var events = await client.EventsAsync(Mac, Ct);
        events.Select(e => e.Kind).ShouldBe([MachineEventKind.Of(MachineState.Discovered), MachineEventKind.DesiredImage, MachineEventKind.Of(MachineState.Deploying), MachineEventKind.Registered]);
        var deploying = events.Single(e => e.Entered(MachineState.Deploying));
        deploying.From.ShouldBe(MachineState.Discovered);
        events.Where(e => e.Kind == MachineEventKind.Registered).ShouldAllBe(e => e.To == null, "not a state change");
    }

    [Fact]
    public async Task A_wrong_admin_token_or_a_bad_image_id_is_an_error_that_says_what_to_fix()
    {
        await using var service = await InProcessBootService.StartAsync();
        var stranger = new BootServiceClient(service.Client, service.Client.BaseAddress!, "not-the-token");
        var client = new BootServiceClient(service.Client, service.Client.BaseAddress!, InProcessBootService.AdminToken);

        var refused = await Should.ThrowAsync<HttpRequestException>(() => stranger.ListAsync(Ct));
        var invalid = await Should.ThrowAsync<HttpRequestException>(() => client.SetDesiredImageAsync(Mac, "latest", Ct));

        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        refused.Message.ShouldContain("admin token is wrong or unset");
        invalid.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        invalid.Message.ShouldContain("64 lower-case hex digits");
        (await client.ListAsync(Ct)).ShouldBeEmpty("a refused request stores nothing");
    }

    [Fact]
    public async Task A_waves_desired_images_are_set_in_one_request_and_one_bad_entry_sets_none()
    {
        await using var service = await InProcessBootService.StartAsync();
        var client = new BootServiceClient(service.Client, service.Client.BaseAddress!, InProcessBootService.AdminToken);
        const string next = "2222222222222222222222222222222222222222222222222222222222222222";
        await client.SetDesiredImageAsync("52:54:00:cc:01:01", InProcessBootService.ImageId, Ct);

        var set = await client.SetDesiredImagesAsync(
            [new DesiredImageEntry("52:54:00:CC:01:01", next), new DesiredImageEntry("52:54:00:cc:01:02", next, DeployModes.InPlace), new DesiredImageEntry("52-54-00-cc-01-03", next)], Ct);
        var badImage = await Should.ThrowAsync<HttpRequestException>(() => client.SetDesiredImagesAsync(
            [new DesiredImageEntry("52:54:00:cc:01:01", InProcessBootService.ImageId), new DesiredImageEntry("52:54:00:cc:01:04", "latest")], Ct));
        var twice = await Should.ThrowAsync<HttpRequestException>(() => client.SetDesiredImagesAsync(
            [new DesiredImageEntry("52:54:00:cc:01:01", InProcessBootService.ImageId), new DesiredImageEntry("52:54:00:CC:01:01", next)], Ct));
        var machines = await client.ListAsync(Ct);

        set.Select(m => (m.Mac, m.DesiredImage, m.DesiredMode)).ShouldBe(
            [("52:54:00:cc:01:01", next, null), ("52:54:00:cc:01:02", next, DeployModes.InPlace), ("52:54:00:cc:01:03", next, null)]);
        badImage.Message.ShouldContain("machines[1] (52:54:00:cc:01:04): imageId 'latest' is not an image id");
        badImage.Message.ShouldContain("nothing was set");
        twice.Message.ShouldContain("52:54:00:cc:01:01 is listed twice");
        machines.Count.ShouldBe(3, "the refused batches discovered no machine");
        machines.ShouldAllBe(m => m.DesiredImage == next, "and changed none");
        (await client.EventsAsync("52:54:00:cc:01:02", Ct)).Select(e => e.Detail).ShouldBe(["first network boot from 52:54:00:cc:01:02", $"desired image set to {next}, in place"]);
    }
}
