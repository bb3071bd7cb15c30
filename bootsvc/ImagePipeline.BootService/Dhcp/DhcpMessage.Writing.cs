using System.Buffers.Binary;
using System.Text;

namespace ImagePipeline.BootService.Dhcp;

public sealed partial class DhcpMessage
{
    /// <summary>RFC 1542 §2.1: the BOOTP minimum, padded with zeros.</summary>
    public const int MinimumLength = 300;

    public byte[] ToBytes()
    {
        var optionBytes = 0;
        foreach (var (_, value) in Options.All)
            optionBytes += value.Length + 2 * Math.Max(1, (value.Length + 254) / 255);
        var buffer = new byte[Math.Max(MinimumLength, HeaderLength + optionBytes + 1)];
        var span = buffer.AsSpan();
        span[0] = Op;
        span[1] = HardwareType;
        span[2] = HardwareLength;
        span[3] = Hops;
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], Seconds);
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], Flags);
        ClientAddress.TryWriteBytes(span.Slice(12, 4), out _);
        YourAddress.TryWriteBytes(span.Slice(16, 4), out _);
        NextServerAddress.TryWriteBytes(span.Slice(20, 4), out _);
        RelayAgentAddress.TryWriteBytes(span.Slice(24, 4), out _);
        ClientHardwareAddress.AsSpan(0, Math.Min(16, ClientHardwareAddress.Length)).CopyTo(span[28..]);
        WriteField(span.Slice(44, 64), ServerName, "server name");
        WriteField(span.Slice(108, 128), BootFile, "boot file");
        MagicCookie.CopyTo(span[236..]);

        var at = HeaderLength;
        foreach (var (code, value) in Options.All)
        {
            // RFC 3396: a value longer than 255 bytes goes out as several instances of the option.
            var offset = 0;
            do
            {
                var chunk = Math.Min(255, value.Length - offset);
                span[at++] = (byte)code;
                span[at++] = (byte)chunk;
                value.AsSpan(offset, chunk).CopyTo(span[at..]);
                at += chunk;
                offset += chunk;
            }
            while (offset < value.Length);
        }

        span[at] = (byte)DhcpOptionCode.End;
        return buffer;
    }

    private static void WriteField(Span<byte> field, string text, string name)
    {
        var count = Encoding.ASCII.GetByteCount(text);
        if (count >= field.Length)
            throw new ArgumentException($"the {name} '{text}' is {count} bytes; the field holds {field.Length - 1}");
        Encoding.ASCII.GetBytes(text, field);
    }
}
