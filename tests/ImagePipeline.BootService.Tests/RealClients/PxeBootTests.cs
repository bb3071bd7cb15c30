using ImagePipeline.Tests.Deploy;
using ImagePipeline.Tests.Waiting;
using System.Text.RegularExpressions;
using ImagePipeline.BootService.Tests.Support;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Networks;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.BootService.Tests.RealClients;

/// <summary>
/// Firmware nobody here wrote netboots the deploy environment through the real <c>imagepipe
/// bootsvc</c> on a private bridge: QEMU's iPXE ROM under SeaBIOS, OVMF's own PXE client (TFTP),
/// and OVMF's HTTP boot. Each ends in the deploy environment's userspace with a DHCP lease from us.
/// </summary>
public sealed class PxeBootTests(DeployEnvironmentFixture deploy)
{
    internal static readonly Regex DeployNetworkUp = new(@"imagepipeline-deploy: network eth0 address (10\.213\.0\.\d+)/24");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task<string> NetbootAsync(VirtualNetwork network, string mac, Firmware firmware, NetworkBoot boot)
    {
        var tap = await network.AddTapAsync(Ct);
        var machine = QemuMachine.Create($"pxe-{mac[^2..]}").WithFirmware(firmware).WithNetwork(NetworkAttachment.Tap(network.Namespace, tap))
            .WithMac(mac).WithNetworkBoot(boot);
        await using var vm = await QemuVm.StartBlankAsync(machine, 1L << 30, cancellationToken: Ct);
        var match = await vm.WaitForConsoleTextAsync(DeployNetworkUp, GuestWait.Boot, cancellationToken: Ct);
        return match.Groups[1].Value;
    }

    [Fact]
    public async Task A_BIOS_machine_with_the_iPXE_ROM_netboots_and_is_discovered_and_iPXE_fetches_its_script_without_waiting_for_IPv6()
    {
        await using var network = await VirtualNetwork.CreateAsync("bios", Ct);
        await using var service = await BootServiceProcess.StartAsync(network, deploy, null, "--discovery");

        var address = await NetbootAsync(network, "52:54:00:10:00:01", Firmware.Bios, NetworkBoot.IpxeRom);

        address.ShouldStartWith("10.213.0.");
        var machine = await service.GetAsync("/api/v1/machines/52:54:00:10:00:01");
        machine.ShouldContain("\"state\":\"Discovered\"");
        machine.ShouldContain($"\"address\":\"{address}\"");
        machine.ShouldContain("\"firmware\":\"bios\"");
        service.Output.ShouldContain("GET /files/deploy/initrd.img");
        // Without a router advertisement iPXE spends ~13 s on IPv6 between its DHCP ACK and the script request.
        var log = service.Output.Split('\n');
        var ack = Timestamp(log.First(l => l.Contains("DHCP Ack to 52:54:00:10:00:01 (Ipxe)", StringComparison.Ordinal)));
        var script = Timestamp(log.First(l => l.Contains("GET /boot/52:54:00:10:00:01.ipxe", StringComparison.Ordinal)));
        (script - ack).ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_UEFI_machine_netboots_through_the_firmware_PXE_client_and_TFTP()
    {
        await using var network = await VirtualNetwork.CreateAsync("uefipxe", Ct);
        await using var service = await BootServiceProcess.StartAsync(network, deploy, null, "--discovery");

        await NetbootAsync(network, "52:54:00:10:00:02", Firmware.Uefi, NetworkBoot.FirmwarePxe);

        service.Output.ShouldContain("TFTP sending 'snponly.efi'");
        var stats = await service.GetAsync("/api/v1/bootsvc/stats");
        stats.ShouldNotContain("\"completed\":0");
        (await service.GetAsync("/api/v1/machines/52:54:00:10:00:02")).ShouldContain("\"firmware\":\"uefi\"");
    }

    [Fact]
    public async Task A_UEFI_machine_netboots_through_UEFI_HTTP_boot()
    {
        await using var network = await VirtualNetwork.CreateAsync("uefihttp", Ct);
        await using var service = await BootServiceProcess.StartAsync(network, deploy, null, "--discovery");

        await NetbootAsync(network, "52:54:00:10:00:03", Firmware.Uefi, NetworkBoot.FirmwareHttp);

        service.Output.ShouldContain("(UefiHttp)");
        service.Output.ShouldContain("GET /files/snponly.efi");
    }

    private static TimeSpan Timestamp(string line) => TimeSpan.Parse(line[..12], System.Globalization.CultureInfo.InvariantCulture);
}
