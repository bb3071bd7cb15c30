using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace ImagePipeline.BootService.Dhcp;

public sealed partial class DhcpMessage
{
    /// <summary>Fixed header (236 bytes) plus the magic cookie.</summary>
    public const int HeaderLength = 240;
    private static readonly byte[] MagicCookie = [99, 130, 83, 99];

    /// <summary>
    /// Parses a datagram. Throws <see cref="DhcpFormatException"/> for anything a conforming
    /// client does not send: short header, wrong cookie, non-Ethernet hardware, an option that
    /// runs past the end, a missing or malformed message type.
    /// </summary>
    public static DhcpMessage Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
            throw new DhcpFormatException($"{data.Length} bytes is shorter than a DHCP header ({HeaderLength})");
        if (!data.Slice(236, 4).SequenceEqual(MagicCookie))
            throw new DhcpFormatException("no DHCP magic cookie (a plain BOOTP request?)");
        var message = new DhcpMessage
        {
            Op = data[0],
            HardwareType = data[1],
            HardwareLength = data[2],
            Hops = data[3],
            TransactionId = BinaryPrimitives.ReadUInt32BigEndian(data[4..]),
            Seconds = BinaryPrimitives.ReadUInt16BigEndian(data[8..]),
            Flags = BinaryPrimitives.ReadUInt16BigEndian(data[10..]),
            ClientAddress = new IPAddress(data.Slice(12, 4)),
            YourAddress = new IPAddress(data.Slice(16, 4)),
            NextServerAddress = new IPAddress(data.Slice(20, 4)),
            RelayAgentAddress = new IPAddress(data.Slice(24, 4)),
            ClientHardwareAddress = data.Slice(28, 16).ToArray(),
        };
        if (message.Op is not (BootRequest or BootReply))
            throw new DhcpFormatException($"op {message.Op} is neither BOOTREQUEST nor BOOTREPLY");
        if (message.HardwareType != 1 || message.HardwareLength != 6)
            throw new DhcpFormatException($"hardware type {message.HardwareType}/length {message.HardwareLength}: only Ethernet (1/6) is served");

        ReadOptions(data[HeaderLength..], message.Options);
        var overload = message.Options.Get(DhcpOptionCode.OptionOverload) switch
        {
            null => 0,
            [>= 1 and <= 3] flags => flags[0],
            _ => throw new DhcpFormatException("option 52 (overload) must be one byte, 1 to 3"),
        };

        // RFC 2131 §4.1: when overloaded, file is read for options before sname.
        if ((overload & 1) != 0)
            ReadOptions(data.Slice(108, 128), message.Options);
        else
            message.BootFile = ReadNulTerminated(data.Slice(108, 128));
        if ((overload & 2) != 0)
            ReadOptions(data.Slice(44, 64), message.Options);
        else
            message.ServerName = ReadNulTerminated(data.Slice(44, 64));
        if (message.Options.Get(DhcpOptionCode.MessageType) is not [>= 1 and <= 8])
            throw new DhcpFormatException("option 53 (message type) is missing or not 1 to 8");
        return message;
    }

    private static void ReadOptions(ReadOnlySpan<byte> area, DhcpOptions options)
    {
        var i = 0;
        while (i < area.Length)
        {
            var code = area[i++];
            if (code == (byte)DhcpOptionCode.Pad)
                continue;
            if (code == (byte)DhcpOptionCode.End)
                return;
            if (i >= area.Length)
                throw new DhcpFormatException($"option {code} has no length byte");
            var length = area[i++];
            if (i + length > area.Length)
                throw new DhcpFormatException($"option {code} claims {length} bytes but only {area.Length - i} remain");
            options.Append((DhcpOptionCode)code, area.Slice(i, length));
            i += length;
        }

        // Options without an End marker are accepted: several PXE ROMs stop at the last option.
    }

    private static string ReadNulTerminated(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        var text = field[..(end < 0 ? field.Length : end)];
        foreach (var b in text)
        {
            if (b is < 0x20 or > 0x7e)
                throw new DhcpFormatException("sname/file contains a non-printable byte");
        }

        return Encoding.ASCII.GetString(text);
    }
}
