using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>
/// The options of one message, in the order they were added. A code appears once: repeated
/// instances on the wire are concatenated when read (RFC 3396) and values longer than 255 bytes
/// are split when written.
/// </summary>
public sealed class DhcpOptions
{
    private readonly List<KeyValuePair<DhcpOptionCode, byte[]>> items = [];

    public int Count => items.Count;

    public IEnumerable<KeyValuePair<DhcpOptionCode, byte[]>> All => items;

    public bool Contains(DhcpOptionCode code) => IndexOf(code) >= 0;

    public byte[]? Get(DhcpOptionCode code)
    {
        var i = IndexOf(code);
        return i < 0 ? null : items[i].Value;
    }

    public void Set(DhcpOptionCode code, byte[] value)
    {
        var i = IndexOf(code);
        if (i < 0)
            items.Add(new(code, value));
        else
            items[i] = new(code, value);
    }

    /// <summary>Appends bytes to an option (how RFC 3396 splits long options).</summary>
    public void Append(DhcpOptionCode code, ReadOnlySpan<byte> value)
    {
        var i = IndexOf(code);
        if (i < 0)
            items.Add(new(code, value.ToArray()));
        else
            items[i] = new(code, [.. items[i].Value, .. value]);
    }

    public void Remove(DhcpOptionCode code)
    {
        var i = IndexOf(code);
        if (i >= 0)
            items.RemoveAt(i);
    }

    public void SetByte(DhcpOptionCode code, byte value) => Set(code, [value]);

    public void SetUInt32(DhcpOptionCode code, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        Set(code, bytes);
    }

    public void SetAddress(DhcpOptionCode code, IPAddress address) => Set(code, address.GetAddressBytes());

    public void SetAddresses(DhcpOptionCode code, IEnumerable<IPAddress> addresses) =>
        Set(code, [.. addresses.SelectMany(a => a.GetAddressBytes())]);

    public void SetText(DhcpOptionCode code, string text) => Set(code, Encoding.ASCII.GetBytes(text));

    public DhcpMessageType? MessageType =>
        Get(DhcpOptionCode.MessageType) is [var type] && Enum.IsDefined((DhcpMessageType)type) ? (DhcpMessageType)type : null;

    public IPAddress? GetAddress(DhcpOptionCode code) =>
        Get(code) is { Length: 4 } bytes ? new IPAddress(bytes) : null;

    /// <summary>The option as text (ASCII, trailing NULs removed), or null when absent.</summary>
    public string? GetText(DhcpOptionCode code) =>
        Get(code) is { } bytes ? Encoding.ASCII.GetString(bytes).TrimEnd('\0') : null;

    public ushort? GetUInt16(DhcpOptionCode code) =>
        Get(code) is { Length: >= 2 } bytes ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : null;

    private int IndexOf(DhcpOptionCode code)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].Key == code)
                return i;
        }

        return -1;
    }
}
