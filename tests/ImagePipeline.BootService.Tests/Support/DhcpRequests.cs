using System.Net;
using ImagePipeline.BootService.Dhcp;

namespace ImagePipeline.BootService.Tests.Support;

/// <summary>DHCP requests as real clients send them.</summary>
internal static class DhcpRequests
{
    public static DhcpMessage Create(DhcpMessageType type, string mac, string? vendorClass = null, ushort? architecture = null, bool ipxe = false, uint xid = 0x1234)
    {
        var message = new DhcpMessage { Op = DhcpMessage.BootRequest, TransactionId = xid, Flags = DhcpMessage.BroadcastFlag };
        var bytes = mac.Split(':').Select(h => Convert.ToByte(h, 16)).ToArray();
        bytes.CopyTo(message.ClientHardwareAddress, 0);
        message.Options.SetByte(DhcpOptionCode.MessageType, (byte)type);
        if (vendorClass is not null)
            message.Options.SetText(DhcpOptionCode.VendorClassIdentifier, vendorClass);
        if (architecture is { } arch)
            message.Options.Set(DhcpOptionCode.ClientArchitecture, [(byte)(arch >> 8), (byte)arch]);
        if (ipxe)
        {
            message.Options.Set(DhcpOptionCode.UserClass, "\u0004iPXE"u8.ToArray());
            message.Options.Set(DhcpOptionCode.IpxeEncapsulated, [0x13, 1, 1]);
        }

        return message;
    }

    public static DhcpMessage Request(string mac, IPAddress address, IPAddress? serverId)
    {
        var request = Create(DhcpMessageType.Request, mac);
        request.Options.SetAddress(DhcpOptionCode.RequestedIpAddress, address);
        if (serverId is not null)
            request.Options.SetAddress(DhcpOptionCode.ServerIdentifier, serverId);
        return request;
    }

    /// <summary>Through the wire format and back, as the server would see it.</summary>
    public static DhcpMessage RoundTrip(DhcpMessage message) => DhcpMessage.Parse(message.ToBytes());
}
