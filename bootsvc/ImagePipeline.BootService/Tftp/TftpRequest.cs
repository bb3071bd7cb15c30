using System.Buffers.Binary;
using System.Text;

namespace ImagePipeline.BootService.Tftp;

/// <summary>A read or write request: <c>opcode | filename NUL | mode NUL | (option NUL value NUL)*</c> (RFC 1350 §5, RFC 2347 §2).</summary>
public sealed record TftpRequest(TftpOpcode Opcode, string FileName, string Mode, IReadOnlyDictionary<string, string> Options)
{
    public static TftpRequest Parse(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 4)
            throw new TftpFormatException($"{packet.Length} bytes is too short for a request");
        var opcode = (TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(packet);
        if (opcode is not (TftpOpcode.ReadRequest or TftpOpcode.WriteRequest))
            throw new TftpFormatException($"opcode {(ushort)opcode} is not a request; a transfer starts with RRQ or WRQ");
        var fields = new List<string>();
        var rest = packet[2..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)0);
            if (end < 0)
                throw new TftpFormatException("a request field is not NUL-terminated");
            var field = rest[..end];
            foreach (var b in field)
            {
                if (b is < 0x20 or > 0x7e)
                    throw new TftpFormatException("request fields must be printable ASCII");
            }

            fields.Add(Encoding.ASCII.GetString(field));
            rest = rest[(end + 1)..];
        }

        if (fields.Count < 2 || fields.Count % 2 != 0)
            throw new TftpFormatException("a request needs a file name, a mode, and options in name/value pairs");
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 2; i < fields.Count; i += 2)
            options.TryAdd(fields[i], fields[i + 1]);
        return new TftpRequest(opcode, fields[0], fields[1].ToLowerInvariant(), options);
    }

    public byte[] ToBytes()
    {
        var fields = new List<string> { FileName, Mode };
        foreach (var (name, value) in Options)
            fields.AddRange([name, value]);
        var bytes = new List<byte>(64) { 0, (byte)Opcode };
        foreach (var field in fields)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes(field));
            bytes.Add(0);
        }

        return [.. bytes];
    }
}
