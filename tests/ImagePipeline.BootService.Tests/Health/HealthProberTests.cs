using System.Net;
using System.Net.Sockets;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Health;
using ImagePipeline.BootService.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.BootService.Tests.Health;

/// <summary>
/// An image without our agent: its machine is healthy once the boot service's probes from outside
/// pass, at the address it netbooted from (loopback here, where the machine's "services" listen).
/// </summary>
public sealed class HealthProberTests
{
    private const string Mac = "52:54:00:dd:00:01";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_deployed_image_without_our_agent_is_healthy_once_its_tcp_and_http_probes_pass_from_outside()
    {
        await using var service = await InProcessBootService.StartAsync();
        using var ssh = new TcpListener(IPAddress.Loopback, 0);
        ssh.Start();
        await using var web = await MachineWebAsync(_ => (200, "ok: web-1"));
        HealthProbe[] probes = [new(HealthProbe.Tcp, Port(ssh)), new(HealthProbe.Http, web.Port, "/healthz", 200, "^ok")];

        await DeployAsync(service, probes);
        var healthy = await WaitForAsync(service, m => m.State == MachineState.Healthy);

        healthy.DesiredHealth.ShouldBe(probes);
        healthy.LastError.ShouldBeNull();
        var events = await Client(service).EventsAsync(Mac, Ct);
        events.ShouldContain(e => e.Kind == MachineEventKind.DesiredImage && e.Detail.Contains($"healthy by probes from outside: tcp {Port(ssh)}, http :{web.Port}/healthz"));
        events[^1].Detail.ShouldBe($"image {InProcessBootService.ImageId} healthy by probes from outside at 127.0.0.1: tcp {Port(ssh)}, http :{web.Port}/healthz passed");
    }

    [Fact]
    public async Task Until_every_probe_passes_the_machine_stays_booting_with_the_reason_recorded_once_per_change()
    {
        await using var service = await InProcessBootService.StartAsync();
        var prober = service.Services.GetRequiredService<HealthProber>();
        var closed = FreePort();
        var status = 503;
        await using var web = await MachineWebAsync(_ => (status, "starting"));
        HealthProbe[] probes = [new(HealthProbe.Http, web.Port, "/healthz"), new(HealthProbe.Tcp, closed)];

        await DeployAsync(service, probes);
        await prober.RoundAsync(Ct);
        await prober.RoundAsync(Ct);
        var waiting = (await Client(service).GetAsync(Mac, Ct))!;
        using var late = new TcpListener(IPAddress.Loopback, closed);
        late.Start();
        status = 200;
        var healthy = await WaitForAsync(service, m => m.State == MachineState.Healthy);

        waiting.State.ShouldBe(MachineState.Booting, "a slow service is not a broken one: the rollout's timeout decides");
        waiting.LastError.ShouldBe($"not healthy yet: http :{web.Port}/healthz at 127.0.0.1: status 503, not 200; tcp {closed} at 127.0.0.1: connection refused (nothing listens)");
        var events = await Client(service).EventsAsync(Mac, Ct);
        events.Count(e => e.Kind == MachineEventKind.Probe).ShouldBe(1, "the same reason round after round is one event");
        healthy.LastError.ShouldBeNull();
    }

    [Fact]
    public async Task Probes_that_are_not_possible_or_with_an_in_place_update_are_refused_and_nothing_is_set()
    {
        await using var service = await InProcessBootService.StartAsync();
        var client = Client(service);

        var badPort = await Should.ThrowAsync<HttpRequestException>(() => client.SetDesiredImageAsync(Mac, InProcessBootService.ImageId, Ct, health: [new HealthProbe(HealthProbe.Tcp, 70000)]));
        var badKind = await Should.ThrowAsync<HttpRequestException>(() => client.SetDesiredImagesAsync(
            [new DesiredImageEntry(Mac, InProcessBootService.ImageId, Health: [new HealthProbe("icmp", 1)])], Ct));
        var inPlace = await Should.ThrowAsync<HttpRequestException>(() => client.SetDesiredImageAsync(Mac, InProcessBootService.ImageId, Ct, DeployModes.InPlace, [new HealthProbe(HealthProbe.Tcp, 22)]));

        badPort.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        badPort.Message.ShouldContain("health: tcp 70000: port must be 1-65535");
        badKind.Message.ShouldContain("probe kind 'icmp': use tcp or http");
        inPlace.Message.ShouldContain("reimage such an image");
        (await client.ListAsync(Ct)).ShouldBeEmpty();
    }

    /// <summary>What a deploy environment does for the machine: netboot (the address is seen), register, write the image, reboot into it.</summary>
    private static async Task DeployAsync(InProcessBootService service, IReadOnlyList<HealthProbe> probes)
    {
        await Client(service).SetDesiredImageAsync(Mac, InProcessBootService.ImageId, Ct, health: probes);
        var token = AgentTokens.In(await service.Client.GetStringAsync($"/boot/{Mac}.ipxe", Ct));
        (await AgentRequests.PostAsync(service, AgentRoutes.Register, new RegisterRequest { AgentVersion = "1", Facts = AgentRequests.Facts(Mac) }, token)).Dispose();
        using var result = await AgentRequests.PostAsync(service, AgentRoutes.Result, new DeployResult { ImageId = InProcessBootService.ImageId, Succeeded = true, Seconds = 3 }, token);
        result.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await Client(service).GetAsync(Mac, Ct))!.State.ShouldBe(MachineState.Booting);
    }

    private static async Task<MachineRecord> WaitForAsync(InProcessBootService service, Func<MachineRecord, bool> condition)
    {
        var deadline = DateTime.UtcNow + HealthProber.Interval * 5;
        while (true)
        {
            var machine = (await Client(service).GetAsync(Mac, Ct))!;
            if (condition(machine) || DateTime.UtcNow > deadline)
            {
                condition(machine).ShouldBeTrue($"the machine is {machine.State}: {machine.LastError}");
                return machine;
            }

            await Task.Delay(200, Ct);
        }
    }

    private static BootServiceClient Client(InProcessBootService service) => new(service.Client, service.Client.BaseAddress!, InProcessBootService.AdminToken);

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return Port(listener);
    }

    /// <summary>The machine's web service: GET /healthz answers what <paramref name="answer"/> says.</summary>
    private static async Task<MachineWeb> MachineWebAsync(Func<HttpContext, (int Status, string Body)> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/healthz", (HttpContext http) =>
        {
            var (status, body) = answer(http);
            return Results.Text(body, statusCode: status);
        });
        await app.StartAsync(Ct);
        return new MachineWeb(app, new Uri(app.Urls.First()).Port);
    }

    private sealed record MachineWeb(WebApplication App, int Port) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
