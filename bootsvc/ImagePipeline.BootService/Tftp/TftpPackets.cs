using System.Buffers.Binary;
using System.Text;

namespace ImagePipeline.BootService.Tftp;

/// <summary>Writers and readers of the small TFTP packets (DATA headers, ACK, ERROR, OACK).</summary>
public static class TftpPackets
{
    public const int HeaderLength = 4;

    public static void WriteDataHeader(Span<byte> packet, ushort block)
    {
        BinaryPrimitives.WriteUInt16BigEndian(packet, (ushort)TftpOpcode.Data);
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], block);
    }

    public static byte[] Ack(ushort block)
    {
        var packet = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(packet, (ushort)TftpOpcode.Ack);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), block);
        return packet;
    }

    public static byte[] Error(TftpErrorCode code, string message)
    {
        var text = Encoding.ASCII.GetBytes(message);
        var packet = new byte[4 + text.Length + 1];
        BinaryPrimitives.WriteUInt16BigEndian(packet, (ushort)TftpOpcode.Error);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)code);
        text.CopyTo(packet, 4);
        return packet;
    }

    public static byte[] OptionAck(IEnumerable<KeyValuePair<string, string>> options)
    {
        var bytes = new List<byte> { 0, (byte)TftpOpcode.OptionAck };
        foreach (var (name, value) in options)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes(name));
            bytes.Add(0);
            bytes.AddRange(Encoding.ASCII.GetBytes(value));
            bytes.Add(0);
        }

        return [.. bytes];
    }

    public static TftpOpcode? OpcodeOf(ReadOnlySpan<byte> packet) =>
        packet.Length >= 2 ? (TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(packet) : null;

    /// <summary>The block number of a DATA or ACK packet.</summary>
    public static ushort BlockOf(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);

    /// <summary>An ERROR packet's code and message, for the peer's logs.</summary>
    public static (TftpErrorCode Code, string Message) ReadError(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 4)
            return (TftpErrorCode.NotDefined, "");
        var text = packet[4..];
        var end = text.IndexOf((byte)0);
        return ((TftpErrorCode)BinaryPrimitives.ReadUInt16BigEndian(packet[2..]), Encoding.ASCII.GetString(end < 0 ? text : text[..end]));
    }

    /// <summary>An OACK's options (RFC 2347): NUL-terminated name/value pairs.</summary>
    public static Dictionary<string, string> ReadOptionAck(ReadOnlySpan<byte> packet)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var fields = Encoding.ASCII.GetString(packet[2..]).Split('\0');
        for (var i = 0; i + 1 < fields.Length; i += 2)
            options[fields[i]] = fields[i + 1];
        return options;
    }
}
