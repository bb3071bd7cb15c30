using ImagePipeline.Tests.Deploy;
using System.Text.RegularExpressions;
using ImagePipeline.BootService.Tests.Support;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Networks;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.BootService.Tests.RealClients;

/// <summary>
/// A machine that netboots first but must not be reinstalled gets the local-disk script, and the
/// firmware really boots its disk: sanboot under BIOS, iPXE's exit back to OVMF's next boot option
/// under UEFI.
/// </summary>
public sealed class LocalDiskBootTests(DeployEnvironmentFixture deploy)
{
    private static readonly Regex LoginPrompt = new("login: ");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(Firmware.Bios, "52:54:00:40:00:01")]
    [InlineData(Firmware.Uefi, "52:54:00:40:00:02")]
    public async Task A_machine_that_needs_no_deploy_boots_its_disk_after_the_script(Firmware firmware, string mac)
    {
        await using var network = await VirtualNetwork.CreateAsync($"local{(int)firmware}", Ct);
        await using var service = await BootServiceProcess.StartAsync(network, deploy, null);
        var tap = await network.AddTapAsync(Ct);
        var machine = QemuMachine.Create($"local-{firmware}".ToLowerInvariant()).WithFirmware(firmware)
            .WithNetwork(NetworkAttachment.Tap(network.Namespace, tap)).WithMac(mac).WithNetworkBoot(NetworkBoot.IpxeRom);

        await using var vm = await QemuVm.StartAsync(machine, deploy.TinyQcow2, cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(LoginPrompt, TimeSpan.FromSeconds(120), cancellationToken: Ct);

        service.Output.ShouldContain($"GET /boot/{mac}.ipxe");
        service.Output.ShouldNotContain("GET /files/deploy/");
    }
}
