using System.Net;
using System.Net.NetworkInformation;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>
/// One BOOTP/DHCP message (RFC 2131 §2, figure 1). Parsing is strict (see
/// <see cref="Parse"/>); writing always produces a message at least 300 bytes long, the BOOTP
/// minimum some PXE ROMs insist on.
/// </summary>
public sealed partial class DhcpMessage
{
    public const byte BootRequest = 1;
    public const byte BootReply = 2;
    /// <summary>Flags bit 15: the client cannot receive unicast before it has an address.</summary>
    public const ushort BroadcastFlag = 0x8000;

    public byte Op { get; set; }
    /// <summary>Hardware type: 1 is Ethernet, the only kind served.</summary>
    public byte HardwareType { get; set; } = 1;
    public byte HardwareLength { get; set; } = 6;
    public byte Hops { get; set; }
    public uint TransactionId { get; set; }
    public ushort Seconds { get; set; }
    public ushort Flags { get; set; }
    public IPAddress ClientAddress { get; set; } = IPAddress.Any;
    public IPAddress YourAddress { get; set; } = IPAddress.Any;
    /// <summary>siaddr: the next server, where PXE ROMs fetch the boot file over TFTP.</summary>
    public IPAddress NextServerAddress { get; set; } = IPAddress.Any;
    public IPAddress RelayAgentAddress { get; set; } = IPAddress.Any;
    /// <summary>chaddr: the first <see cref="HardwareLength"/> bytes are the client's MAC.</summary>
    public byte[] ClientHardwareAddress { get; set; } = new byte[16];
    public string ServerName { get; set; } = "";
    /// <summary>The legacy boot file field; PXE ROMs read it before option 67.</summary>
    public string BootFile { get; set; } = "";
    public DhcpOptions Options { get; } = new();

    public DhcpMessageType? MessageType => Options.MessageType;

    public PhysicalAddress ClientMac => new(ClientHardwareAddress.AsSpan(0, 6).ToArray());

    public bool WantsBroadcast => (Flags & BroadcastFlag) != 0;

    /// <summary>A reply skeleton: same transaction, flags, relay and client hardware address.</summary>
    public DhcpMessage CreateReply(DhcpMessageType type)
    {
        var reply = new DhcpMessage
        {
            Op = BootReply,
            HardwareType = HardwareType,
            HardwareLength = HardwareLength,
            TransactionId = TransactionId,
            Flags = Flags,
            RelayAgentAddress = RelayAgentAddress,
            ClientHardwareAddress = (byte[])ClientHardwareAddress.Clone(),
        };
        reply.Options.SetByte(DhcpOptionCode.MessageType, (byte)type);
        return reply;
    }
}
