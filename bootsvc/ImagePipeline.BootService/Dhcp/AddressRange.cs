using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>An inclusive IPv4 range, written <c>10.0.0.100-10.0.0.199</c>.</summary>
public sealed record AddressRange(IPAddress First, IPAddress Last)
{
    public int Count => (int)(ToUInt32(Last) - ToUInt32(First) + 1);

    public bool Contains(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && ToUInt32(address) >= ToUInt32(First) && ToUInt32(address) <= ToUInt32(Last);

    public IEnumerable<IPAddress> Addresses()
    {
        for (var a = ToUInt32(First); a <= ToUInt32(Last); a++)
            yield return FromUInt32(a);
    }

    public static AddressRange Parse(string text)
    {
        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var first) || !IPAddress.TryParse(parts[1], out var last)
            || first.AddressFamily != AddressFamily.InterNetwork || last.AddressFamily != AddressFamily.InterNetwork)
            throw new FormatException($"'{text}' is not an IPv4 range; write it as FIRST-LAST, for example 10.0.0.100-10.0.0.199");
        if (ToUInt32(first) > ToUInt32(last))
            throw new FormatException($"the range '{text}' ends before it starts");
        return new AddressRange(first, last);
    }

    public override string ToString() => $"{First}-{Last}";

    public static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static IPAddress FromUInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }
}
