using System.Net;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Tests.Support;

namespace ImagePipeline.BootService.Tests.Dhcp;

public sealed class ProxyDhcpResponderTests
{
    private static readonly ProxyDhcpResponder Responder = new(new BootFilePlanner(new BootEndpoints(IPAddress.Parse("192.168.1.5"), 8080)));

    private static Task<DhcpMessage?> SendAsync(DhcpMessage request, bool onPxePort = false)
    {
        var parsed = DhcpRequests.RoundTrip(request);
        return Responder.RespondAsync(parsed, BootClientClassifier.Classify(parsed), onPxePort, CancellationToken.None);
    }

    [Fact]
    public async Task A_PXE_discover_gets_a_proxy_offer_with_a_boot_file_and_no_address()
    {
        var request = DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:01", "PXEClient:Arch:00000:UNDI:002001", 0);
        request.Options.Set(DhcpOptionCode.ClientMachineId, [0, .. Enumerable.Range(1, 16).Select(i => (byte)i)]);

        var offer = (await SendAsync(request))!;

        offer.MessageType.ShouldBe(DhcpMessageType.Offer);
        offer.YourAddress.ShouldBe(IPAddress.Any);
        offer.BootFile.ShouldBe("undionly.kpxe");
        offer.Options.GetText(DhcpOptionCode.VendorClassIdentifier).ShouldBe("PXEClient");
        offer.Options.Get(DhcpOptionCode.VendorSpecific).ShouldBe([6, 1, 8, 255]);
        offer.Options.Get(DhcpOptionCode.ClientMachineId)!.Length.ShouldBe(17);
        offer.Options.Contains(DhcpOptionCode.LeaseTime).ShouldBeFalse();
    }

    [Fact]
    public async Task IPxe_is_not_told_to_skip_ProxyDHCP_when_the_proxy_is_what_it_waits_for()
    {
        var offer = (await SendAsync(DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:02", "PXEClient:Arch:00000:UNDI:002001", 0, ipxe: true)))!;

        offer.Options.GetText(DhcpOptionCode.BootFileName).ShouldBe("http://192.168.1.5:8080/boot/52:54:00:00:00:02.ipxe?firmware=bios");
        offer.Options.Contains(DhcpOptionCode.IpxeEncapsulated).ShouldBeFalse("in proxy mode this is the ProxyDHCP offer iPXE waits for; the address comes from another server");
    }

    [Fact]
    public async Task Clients_that_are_not_network_booting_belong_to_the_real_DHCP_server()
    {
        (await SendAsync(DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:01", "udhcp 1.35.0"))).ShouldBeNull();
        (await SendAsync(DhcpRequests.Request("52:54:00:00:00:01", IPAddress.Parse("192.168.1.50"), IPAddress.Parse("192.168.1.1")))).ShouldBeNull();
    }

    [Fact]
    public async Task A_request_on_port_4011_is_acknowledged_with_the_boot_file()
    {
        var request = DhcpRequests.Create(DhcpMessageType.Request, "52:54:00:00:00:01", "PXEClient:Arch:00007:UNDI:003016", 7);
        request.ClientAddress = IPAddress.Parse("192.168.1.50");

        var ack = (await SendAsync(request, onPxePort: true))!;

        ack.MessageType.ShouldBe(DhcpMessageType.Ack);
        ack.BootFile.ShouldBe("snponly.efi");
        ack.ClientAddress.ShouldBe(IPAddress.Parse("192.168.1.50"));
    }
}
