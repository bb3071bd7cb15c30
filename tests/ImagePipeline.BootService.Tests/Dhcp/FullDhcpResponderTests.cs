using System.Net;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Storage;
using ImagePipeline.BootService.Tests.Support;

namespace ImagePipeline.BootService.Tests.Dhcp;

public sealed class FullDhcpResponderTests
{
    private static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");
    private static readonly BootFilePlanner Planner = new(new BootEndpoints(Server, 8080));
    private static readonly DhcpNetwork Network = new(IPAddress.Parse("255.255.255.0"), null, [], TimeSpan.FromHours(1));

    private static async Task<FullDhcpResponder> ResponderAsync(ILeaseStore store, string range = "10.0.0.100-10.0.0.102") =>
        new(await AddressPool.LoadAsync(AddressRange.Parse(range), [Server], store, TimeProvider.System, TimeSpan.FromHours(1), CancellationToken.None), Network, Planner);

    private static async Task<DhcpMessage?> SendAsync(FullDhcpResponder responder, DhcpMessage request)
    {
        var parsed = DhcpRequests.RoundTrip(request);
        return await responder.RespondAsync(parsed, BootClientClassifier.Classify(parsed), false, CancellationToken.None);
    }

    [Fact]
    public async Task A_client_is_offered_an_address_and_gets_it_acknowledged_with_the_network_options()
    {
        using var responder = await ResponderAsync(new MemoryLeaseStore());

        var offer = (await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:01")))!;
        var ack = (await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:01", offer.YourAddress, Server)))!;

        offer.MessageType.ShouldBe(DhcpMessageType.Offer);
        offer.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        ack.MessageType.ShouldBe(DhcpMessageType.Ack);
        ack.YourAddress.ShouldBe(offer.YourAddress);
        ack.Options.GetAddress(DhcpOptionCode.ServerIdentifier).ShouldBe(Server);
        ack.Options.GetAddress(DhcpOptionCode.SubnetMask).ShouldBe(IPAddress.Parse("255.255.255.0"));
        ack.Options.Get(DhcpOptionCode.LeaseTime).ShouldBe([0, 0, 0x0e, 0x10]);
        ack.Options.Contains(DhcpOptionCode.BootFileName).ShouldBeFalse("a client that is not network-booting gets no boot file");
    }

    [Fact]
    public async Task A_network_boot_client_gets_its_boot_file_with_the_address()
    {
        using var responder = await ResponderAsync(new MemoryLeaseStore());

        var bios = (await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:01", "PXEClient:Arch:00000:UNDI:002001", 0)))!;
        var ipxe = (await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:02", "PXEClient:Arch:00000:UNDI:002001", 0, ipxe: true)))!;
        var http = (await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:03", "HTTPClient:Arch:00016:UNDI:003001", 16)))!;

        bios.BootFile.ShouldBe("undionly.kpxe");
        bios.NextServerAddress.ShouldBe(Server);
        ipxe.Options.GetText(DhcpOptionCode.BootFileName).ShouldBe("http://10.0.0.1:8080/boot/52:54:00:00:00:02.ipxe?firmware=bios");
        http.Options.GetText(DhcpOptionCode.BootFileName).ShouldBe("http://10.0.0.1:8080/files/snponly.efi");
        http.Options.GetText(DhcpOptionCode.VendorClassIdentifier).ShouldBe("HTTPClient");
        // iPXE is told not to wait for ProxyDHCP offers (no-pxedhcp, 175.176 = 1); firmware PXE gets no iPXE option.
        ipxe.Options.Get(DhcpOptionCode.IpxeEncapsulated).ShouldBe([176, 1, 1]);
        bios.Options.Contains(DhcpOptionCode.IpxeEncapsulated).ShouldBeFalse();
    }

    [Fact]
    public async Task A_request_for_an_address_that_was_not_offered_is_refused()
    {
        using var responder = await ResponderAsync(new MemoryLeaseStore());
        var first = (await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:01")))!;
        await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:01", first.YourAddress, Server));

        var stolen = (await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:02", first.YourAddress, Server)))!;
        var invented = (await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:03", IPAddress.Parse("10.0.0.102"), Server)))!;

        stolen.MessageType.ShouldBe(DhcpMessageType.Nak);
        stolen.Options.GetText(DhcpOptionCode.Message)!.ShouldContain("was not offered");
        invented.MessageType.ShouldBe(DhcpMessageType.Nak);
    }

    [Fact]
    public async Task Rebooting_clients_keep_a_recorded_lease_are_refused_a_wrong_one_and_are_ignored_when_unknown()
    {
        using var responder = await ResponderAsync(new MemoryLeaseStore());
        var offer = (await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:01")))!;
        await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:01", offer.YourAddress, Server));

        var reboot = (await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:01", offer.YourAddress, null)))!;
        var wrong = (await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:01", IPAddress.Parse("10.0.0.101"), null)))!;
        var otherNetwork = (await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:05", IPAddress.Parse("192.168.7.20"), null)))!;
        var unknown = await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:06", IPAddress.Parse("10.0.0.101"), null));

        reboot.MessageType.ShouldBe(DhcpMessageType.Ack);
        wrong.MessageType.ShouldBe(DhcpMessageType.Nak);
        otherNetwork.MessageType.ShouldBe(DhcpMessageType.Nak);
        unknown.ShouldBeNull();
    }

    [Fact]
    public async Task A_flood_of_discovers_from_invented_MACs_cannot_lock_a_real_client_out()
    {
        using var responder = await ResponderAsync(new MemoryLeaseStore());
        for (var i = 0; i < 50; i++)
            await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, $"02:00:00:00:00:{i:x2}"));

        var offer = (await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:01")))!;
        var ack = (await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:01", offer.YourAddress, Server)))!;

        ack.MessageType.ShouldBe(DhcpMessageType.Ack);
    }

    [Fact]
    public async Task A_client_that_chose_another_server_is_left_alone()
    {
        using var responder = await ResponderAsync(new MemoryLeaseStore());
        var offer = (await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:01")))!;

        var reply = await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:01", offer.YourAddress, IPAddress.Parse("10.0.0.254")));

        reply.ShouldBeNull();
    }

    [Fact]
    public async Task A_pool_of_leased_and_declined_addresses_offers_nothing()
    {
        using var responder = await ResponderAsync(new MemoryLeaseStore(), "10.0.0.100-10.0.0.101");
        var holder = (await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:08")))!;
        await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:08", holder.YourAddress, Server));
        var decline = DhcpRequests.Create(DhcpMessageType.Decline, "52:54:00:00:00:09");
        decline.Options.SetAddress(DhcpOptionCode.RequestedIpAddress, IPAddress.Parse("10.0.0.101"));
        await SendAsync(responder, decline);

        var other = await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:02"));

        holder.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        other.ShouldBeNull("one address is leased, the other declined");
    }

    [Fact]
    public async Task Leases_survive_a_restart_and_a_client_gets_its_address_back()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("imagepipe-leases-").FullName, "bootsvc.db");
        IPAddress granted;
        await using (var database = await BootDatabase.OpenAsync(path, CancellationToken.None))
        {
            using var responder = await ResponderAsync(new SqliteLeaseStore(database));
            await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:07"));
            var second = (await SendAsync(responder, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:08")))!;
            granted = (await SendAsync(responder, DhcpRequests.Request("52:54:00:00:00:08", second.YourAddress, Server)))!.YourAddress;
        }

        await using (var database = await BootDatabase.OpenAsync(path, CancellationToken.None))
        {
            using var restarted = await ResponderAsync(new SqliteLeaseStore(database));
            var again = (await SendAsync(restarted, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:08")))!;
            var other = (await SendAsync(restarted, DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:00:00:09")))!;
            var reboot = (await SendAsync(restarted, DhcpRequests.Request("52:54:00:00:00:08", granted, null)))!;

            again.YourAddress.ShouldBe(granted);
            other.YourAddress.ShouldNotBe(granted);
            reboot.MessageType.ShouldBe(DhcpMessageType.Ack);
        }

        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }
}
