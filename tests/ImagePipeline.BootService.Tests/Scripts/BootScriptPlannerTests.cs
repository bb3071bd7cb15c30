using System.Net;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.BootService.Scripts;
using ImagePipeline.BootService.Tests.Support;

namespace ImagePipeline.BootService.Tests.Scripts;

public sealed class BootScriptPlannerTests
{
    private const string Mac = "52:54:00:bb:00:01";
    private static readonly BootEndpoints Endpoints = new(IPAddress.Parse("10.0.0.1"), 8080);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_unknown_machine_boots_its_disk_when_discovery_is_off()
    {
        await using var store = await TemporaryInventory.CreateAsync();

        var script = await new BootScriptPlanner(store.Inventory, Endpoints, new BootScriptPolicy(Discovery: false)).ScriptForAsync(Mac, Ct);

        script.ShouldStartWith("#!ipxe");
        script.ShouldContain("sanboot --no-describe --drive 0x80");
        script.ShouldContain("exit 1");
        (await store.Inventory.GetByMacAsync(Mac, Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task An_unknown_machine_is_discovered_and_boots_the_deploy_environment_with_its_token()
    {
        await using var store = await TemporaryInventory.CreateAsync();

        var script = await new BootScriptPlanner(store.Inventory, Endpoints, new BootScriptPolicy(Discovery: true)).ScriptForAsync(Mac, Ct);

        script.ShouldContain("kernel http://10.0.0.1:8080/files/deploy/vmlinuz initrd=initrd.img");
        script.ShouldContain("initrd http://10.0.0.1:8080/files/deploy/initrd.img");
        script.ShouldContain($"imagepipeline.mac={Mac}");
        var token = script.Split(' ', '\n').Single(w => w.StartsWith("imagepipeline.token=", StringComparison.Ordinal))["imagepipeline.token=".Length..];
        (await store.Inventory.AuthenticateAsync(token, Ct))!.State.ShouldBe(MachineState.Discovered);
    }

    [Fact]
    public async Task A_machine_deploys_until_its_desired_image_is_current_and_then_boots_its_disk()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        var planner = new BootScriptPlanner(store.Inventory, Endpoints, new BootScriptPolicy(Discovery: false));
        await store.Inventory.DiscoverAsync(Mac, Ct);
        await store.Inventory.SetDesiredImageAsync(Mac, "image-a", Ct);

        var deploy = await planner.ScriptForAsync(Mac, Ct);
        await store.Inventory.TransitionAsync(Mac, MachineState.Booting, "written", m => m with { CurrentImage = "image-a" }, Ct);
        var local = await planner.ScriptForAsync(Mac, Ct);
        var again = await planner.ScriptForAsync(Mac, Ct);

        deploy.ShouldContain("deploying image image-a");
        local.ShouldContain("image image-a is current: booting the local disk");
        again.ShouldBe(local);
        (await store.Inventory.GetByMacAsync(Mac, Ct))!.State.ShouldBe(MachineState.Booting);
    }

    [Fact]
    public async Task A_machine_whose_deployments_keep_failing_is_held_instead_of_reinstalled_forever()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        var planner = new BootScriptPlanner(store.Inventory, Endpoints, new BootScriptPolicy(Discovery: false, MaxDeployAttempts: 2));
        await store.Inventory.DiscoverAsync(Mac, Ct);
        await store.Inventory.SetDesiredImageAsync(Mac, "image-a", Ct);

        var first = await planner.ScriptForAsync(Mac, Ct);
        await store.Inventory.TransitionAsync(Mac, MachineState.Failed, "disk too small", m => m with { LastError = "disk too small" }, Ct);
        var second = await planner.ScriptForAsync(Mac, Ct);
        var third = await planner.ScriptForAsync(Mac, Ct);

        first.ShouldContain("kernel ");
        second.ShouldContain("kernel ");
        third.ShouldNotContain("kernel ");
        third.ShouldContain("gave up deploying image-a after 2 attempts");
        var machine = (await store.Inventory.GetByMacAsync(Mac, Ct))!;
        machine.State.ShouldBe(MachineState.Failed);
        machine.DeployAttempts.ShouldBe(2);
    }
}
