using ImagePipeline.Tests.Deploy;
using System.Text.RegularExpressions;
using ImagePipeline.BootService.Tests.Support;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Networks;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.BootService.Tests.RealClients;

/// <summary>
/// The production path, rehearsed: a bare machine with a blank disk PXE-boots, the agent in the
/// deploy environment writes its desired image, reports and reboots; the next PXE boot hands it to
/// its disk, the image comes up, and the agent inside it reports the machine healthy.
/// </summary>
public sealed class DeployTests(DeployEnvironmentFixture deploy)
{
    private const string Mac = "52:54:00:50:00:01";
    private const string AdminToken = "deploy-test-admin";
    private static readonly Regex Rebooting = new("imagepipeline-agent: reported; rebooting into the new image");
    private static readonly Regex LoginPrompt = new("tiny login: ");
    private static readonly Regex HealthReported = new("imagepipeline-agent: health reported to .*: healthy");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_blank_machine_netboots_gets_its_image_written_by_the_agent_boots_it_from_disk_and_reports_healthy()
    {
        await using var network = await VirtualNetwork.CreateAsync("deploy", Ct);
        await using var service = await BootServiceProcess.StartAsync(network, deploy, deploy.DataDirectory, "--admin-token", AdminToken);
        await service.PutAsync($"/api/v1/machines/{Mac}/desired-image", $$"""{"imageId":"{{deploy.TinyImageId}}"}""", AdminToken);
        var tap = await network.AddTapAsync(Ct);
        var machine = QemuMachine.Create("deploy-bios").WithMemory(768).WithNetwork(NetworkAttachment.Tap(network.Namespace, tap))
            .WithMac(Mac).WithNetworkBoot(NetworkBoot.IpxeRom);

        await using var vm = await QemuVm.StartBlankAsync(machine, 1L << 30, cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(Rebooting, TimeSpan.FromSeconds(180), cancellationToken: Ct);
        await Retry.UntilAsync("the machine to reboot (QEMU exits: -no-reboot)", _ => Task.FromResult(vm.IsRunning ? "still running" : null), TimeSpan.FromSeconds(60), cancellationToken: Ct);
        var afterWrite = await service.GetAsync($"/api/v1/machines/{Mac}");
        await vm.PowerOnAsync(Ct);
        await vm.WaitForConsoleTextAsync(LoginPrompt, TimeSpan.FromSeconds(120), cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(HealthReported, TimeSpan.FromSeconds(120), cancellationToken: Ct);
        var healthy = await service.GetAsync($"/api/v1/machines/{Mac}");

        afterWrite.ShouldContain("\"state\":\"Booting\"");
        afterWrite.ShouldContain($"\"currentImage\":\"{deploy.TinyImageId}\"");
        healthy.ShouldContain("\"state\":\"Healthy\"");
        var events = await service.GetAsync($"/api/v1/machines/{Mac}/events");
        events.ShouldContain($"image {deploy.TinyImageId} healthy: kernel 6.1");
        events.ShouldContain("1 checks passed");
        events.ShouldContain("\"kind\":\"registered\"");
        events.ShouldContain("to /dev/vda");
        service.Output.Split('\n').Count(l => l.Contains($"GET /boot/{Mac}.ipxe", StringComparison.Ordinal)).ShouldBe(2);
        service.Output.Split('\n').Count(l => l.Contains("GET /files/deploy/vmlinuz", StringComparison.Ordinal)).ShouldBe(1, "the second boot goes to the disk, not to another deployment");
    }
}
