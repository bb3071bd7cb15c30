using System.Text.RegularExpressions;
using ImagePipeline.Redfish;
using ImagePipeline.Tests.Deploy;
using ImagePipeline.Validation.Tests.Support;

namespace ImagePipeline.Validation.Tests.Lab;

/// <summary>
/// The lab's BMCs through the project's own Redfish client, as the rollout controller will drive
/// them: power actions and boot overrides change what the VM really does, which its console
/// (SeaBIOS mirrors its screen to the serial line) shows; bad requests get Redfish errors.
/// </summary>
[Collection(LabTestGroup.Name)]
public sealed class RedfishFacadeTests(DeployEnvironmentFixture deploy)
{
    private static readonly Regex NotBootable = new("Boot failed: not a bootable disk");
    private static readonly Regex Netboot = new(@"iPXE \(PCI [0-9a-f:.]+\) starting execution");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_Redfish_client_powers_a_lab_machine_on_and_off_and_its_boot_override_decides_what_it_boots()
    {
        await using var lab = await TestLab.StartAsync(deploy, "redfish", "bios-virtio");
        var machine = lab.Fleet["lab-1"];
        var path = TestLab.SystemPath("lab-1");

        var systems = await lab.Redfish.ListSystemsAsync(Ct);
        var off = await lab.Redfish.GetSystemAsync(path, Ct);
        var found = await lab.Redfish.FindByMacAsync("52:54:00:1A:B0:01", Ct);

        systems.ShouldBe([path]);
        off.PowerState.ShouldBe("Off");
        off.AllowedResetTypes.ShouldBe(["On", "ForceOff", "GracefulShutdown", "ForceRestart", "PowerCycle"]);
        found.ShouldNotBeNull().Id.ShouldBe("lab-1");

        // Disk once: the blank disk is tried, and the NIC is not.
        await lab.Redfish.SetBootOverrideAsync(path, "Hdd", "Once", Ct);
        (await lab.Redfish.GetSystemAsync(path, Ct)).BootSourceOverrideTarget.ShouldBe("Hdd");
        await lab.Redfish.ResetAsync(off, "On", Ct);
        await machine.Vm.WaitForConsoleTextAsync(NotBootable, TimeSpan.FromSeconds(60), cancellationToken: Ct);
        var on = await lab.Redfish.GetSystemAsync(path, Ct);

        on.PowerState.ShouldBe("On");
        on.BootSourceOverrideEnabled.ShouldBe("Disabled", "a Once override is used up by the boot it applied to");
        machine.Vm.Console.Text.ShouldNotMatch(Netboot.ToString());

        // A hard reset without an override: the machine's own order, the network first.
        var since = machine.Vm.Console.Position;
        await lab.Redfish.ResetAsync(on, "ForceRestart", Ct);
        await machine.Vm.WaitForConsoleTextAsync(Netboot, TimeSpan.FromSeconds(60), since, cancellationToken: Ct);
        machine.PowerOns.ShouldBe(2);

        await lab.Redfish.ResetAsync(on, "ForceOff", Ct);
        (await lab.Redfish.GetSystemAsync(path, Ct)).PowerState.ShouldBe("Off");
        machine.Vm.IsRunning.ShouldBeFalse();
        File.ReadAllText(machine.ConsoleLogPath).ShouldContain("Boot failed: not a bootable disk", customMessage: "the console log keeps every power cycle");
    }

    [Fact]
    public async Task Bad_requests_get_Redfish_errors_that_name_what_is_allowed_and_change_nothing()
    {
        await using var lab = await TestLab.StartAsync(deploy, "redfish-errors", "bios-virtio");
        var system = await lab.Redfish.GetSystemAsync(TestLab.SystemPath("lab-1"), Ct);
        using var http = new HttpClient();
        var stranger = new RedfishClient(http, lab.Running.RedfishUrl, new System.Net.NetworkCredential("admin", "wrong"));

        var badReset = await Should.ThrowAsync<RedfishException>(() => lab.Redfish.ResetAsync(system with { AllowedResetTypes = [] }, "Explode", Ct));
        var badTarget = await Should.ThrowAsync<RedfishException>(() => lab.Redfish.SetBootOverrideAsync(system.Path, "Floppy", "Once", Ct));
        var missing = await Should.ThrowAsync<RedfishException>(() => lab.Redfish.GetSystemAsync(TestLab.SystemPath("lab-9"), Ct));
        var refused = await Should.ThrowAsync<RedfishException>(() => stranger.ListSystemsAsync(Ct));
        var offered = await Should.ThrowAsync<RedfishException>(() => lab.Redfish.ResetAsync(system, "Nmi", Ct));

        badReset.MessageId.ShouldBe("Base.1.8.PropertyValueNotInList");
        badReset.Message.ShouldContain("On, ForceOff, GracefulShutdown, ForceRestart, PowerCycle");
        badTarget.Message.ShouldContain("'Floppy' for the property BootSourceOverrideTarget");
        missing.Status.ShouldBe(System.Net.HttpStatusCode.NotFound);
        refused.Status.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        refused.Message.ShouldContain("check the BMC user name and password");
        offered.Message.ShouldContain("does not offer ResetType Nmi");
        var after = await lab.Redfish.GetSystemAsync(system.Path, Ct);
        after.PowerState.ShouldBe("Off");
        after.BootSourceOverrideEnabled.ShouldBe("Disabled");
    }
}
