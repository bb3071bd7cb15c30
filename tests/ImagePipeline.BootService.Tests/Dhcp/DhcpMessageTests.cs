using System.Net;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Tests.Support;

namespace ImagePipeline.BootService.Tests.Dhcp;

public sealed class DhcpMessageTests
{
    [Fact]
    public void A_message_survives_the_wire_format_with_its_fields_and_options()
    {
        var message = DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:12:34:56", "PXEClient:Arch:00007:UNDI:003016", 7, xid: 0xdeadbeef);
        message.BootFile = "snponly.efi";
        message.NextServerAddress = IPAddress.Parse("10.0.0.1");

        var bytes = message.ToBytes();
        var parsed = DhcpMessage.Parse(bytes);

        bytes.Length.ShouldBeGreaterThanOrEqualTo(DhcpMessage.MinimumLength);
        parsed.TransactionId.ShouldBe(0xdeadbeefu);
        parsed.MessageType.ShouldBe(DhcpMessageType.Discover);
        parsed.WantsBroadcast.ShouldBeTrue();
        parsed.BootFile.ShouldBe("snponly.efi");
        parsed.NextServerAddress.ShouldBe(IPAddress.Parse("10.0.0.1"));
        parsed.Options.GetText(DhcpOptionCode.VendorClassIdentifier).ShouldBe("PXEClient:Arch:00007:UNDI:003016");
        parsed.Options.GetUInt16(DhcpOptionCode.ClientArchitecture).ShouldBe((ushort)7);
        Network.MacAddress.Format(parsed.ClientMac).ShouldBe("52:54:00:12:34:56");
    }

    [Fact]
    public void Options_longer_than_255_bytes_are_split_on_the_wire_and_joined_when_read()
    {
        var message = DhcpRequests.Create(DhcpMessageType.Offer, "52:54:00:12:34:56");
        var url = "http://10.0.0.1:8080/boot/" + new string('a', 400);
        message.Options.SetText(DhcpOptionCode.BootFileName, url);

        var parsed = DhcpRequests.RoundTrip(message);

        parsed.Options.GetText(DhcpOptionCode.BootFileName).ShouldBe(url);
    }

    [Fact]
    public void Options_carried_in_the_file_field_are_read_when_the_overload_option_says_so()
    {
        var bytes = DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:12:34:56").ToBytes();
        // Option 52 = 1 (file field holds options) placed after the message type; file field holds option 60.
        var at = Array.IndexOf(bytes, (byte)255, DhcpMessage.HeaderLength);
        bytes[at] = 52;
        bytes[at + 1] = 1;
        bytes[at + 2] = 1;
        bytes[at + 3] = 255;
        byte[] vendor = [60, 9, .. "PXEClient"u8, 255];
        vendor.CopyTo(bytes, 108);

        var parsed = DhcpMessage.Parse(bytes);

        parsed.Options.GetText(DhcpOptionCode.VendorClassIdentifier).ShouldBe("PXEClient");
        parsed.BootFile.ShouldBe("");
    }

    [Theory]
    [InlineData(0, "shorter than a DHCP header")]
    [InlineData(100, "shorter than a DHCP header")]
    public void A_short_datagram_is_refused(int length, string reason)
    {
        Should.Throw<DhcpFormatException>(() => DhcpMessage.Parse(new byte[length])).Message.ShouldContain(reason);
    }

    [Fact]
    public void Malformed_messages_are_refused_with_the_reason()
    {
        var good = DhcpRequests.Create(DhcpMessageType.Discover, "52:54:00:12:34:56").ToBytes();

        var noCookie = (byte[])good.Clone();
        noCookie[236] = 0;
        var tokenRing = (byte[])good.Clone();
        tokenRing[1] = 6;
        var overrun = (byte[])good.Clone();
        overrun[DhcpMessage.HeaderLength + 1] = 200;
        var noType = (byte[])good.Clone();
        noType[DhcpMessage.HeaderLength] = 0;
        noType[DhcpMessage.HeaderLength + 1] = 0;
        noType[DhcpMessage.HeaderLength + 2] = 0;
        var badOp = (byte[])good.Clone();
        badOp[0] = 9;

        Should.Throw<DhcpFormatException>(() => DhcpMessage.Parse(noCookie)).Message.ShouldContain("magic cookie");
        Should.Throw<DhcpFormatException>(() => DhcpMessage.Parse(tokenRing)).Message.ShouldContain("only Ethernet");
        Should.Throw<DhcpFormatException>(() => DhcpMessage.Parse(overrun)).Message.ShouldContain("claims 200 bytes");
        Should.Throw<DhcpFormatException>(() => DhcpMessage.Parse(noType)).Message.ShouldContain("option 53");
        Should.Throw<DhcpFormatException>(() => DhcpMessage.Parse(badOp)).Message.ShouldContain("op 9");
    }
}
