using ImagePipeline.BootService.Contract;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Recipes;
using ImagePipeline.Tests.Deploy;
using ImagePipeline.Validation.Tests.Support;

namespace ImagePipeline.Validation.Tests.Lab;

/// <summary>
/// An image without our agent on the production path: a busybox disk whose system start runs a
/// web server (built here with no agent inside, as a disk made elsewhere would come), deployed by
/// PXE onto a lab machine through the real boot service; the boot service probes the machine's
/// web server on the lab network from outside and makes it healthy. Nothing reports from inside.
/// </summary>
[Collection(LabTestGroup.Name)]
public sealed class LabImportedImageTests(DeployEnvironmentFixture deploy)
{
    private const int WebPort = 8080;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_machine_running_an_image_without_our_agent_is_healthy_by_the_boot_services_probes_of_its_web_server()
    {
        var imageId = await AgentlessWebImageAsync();
        await using var lab = await TestLab.StartAsync(deploy, "agentless", "uefi-virtio");
        HealthProbe[] probes = [new(HealthProbe.Tcp, WebPort), new(HealthProbe.Http, WebPort, "/healthz", 200, "^ok: agentless")];

        var outcome = (await lab.DeployAsync(imageId, TimeSpan.FromMinutes(6), probes, "lab-1")).ShouldHaveSingleItem();
        var machine = (await lab.BootService.GetAsync(lab.Fleet["lab-1"].Mac, Ct))!;
        var events = await lab.BootService.EventsAsync(machine.Mac, Ct);

        outcome.Healthy.ShouldBeTrue(outcome.Error);
        machine.CurrentImage.ShouldBe(imageId);
        events[^1].Detail.ShouldBe($"image {imageId} healthy by probes from outside at {machine.Address}: tcp {WebPort}, http :{WebPort}/healthz passed");
        var console = lab.Fleet["lab-1"].Vm.Console.Text;
        var rebooted = console.LastIndexOf("rebooting into the new image", StringComparison.Ordinal);
        rebooted.ShouldBeGreaterThan(0, "the deploy environment wrote the image and rebooted into it");
        console[rebooted..].ShouldNotContain("imagepipeline-agent:", Case.Sensitive, "no agent of ours in the image: nothing reports from inside");
    }

    private static async Task<string> AgentlessWebImageAsync()
    {
        using var turn = await SharedBuildData.TakeTurnAsync(Ct);
        var recipe = RecipeParser.Parse($$"""
            name: agentless-web
            base: busybox
            files:
              - path: /etc/rc.d/50-web
                content: "#!/bin/sh\nmkdir -p /srv/www\necho 'ok: agentless' > /srv/www/healthz\nhttpd -p {{WebPort}} -h /srv/www\n"
                mode: "0755"
            disk: { size: 512MiB, root: ext4, esp: 64MiB }
            boot: [uefi, bios]
            """, RepositoryLayout.Example("tiny"));
        var built = await new ImageBuilder(new BuildOptions { DataDirectory = SharedBuildData.DataDirectory }, NullBuildObserver.Instance).BuildAsync(recipe, Ct);
        return built.Manifest.ImageId;
    }
}
