using System.Buffers.Binary;
using System.Text;

namespace ImagePipeline.Agent.Slots;

/// <summary>
/// SYSLINUX's boot-once label, kept in its auxiliary data vector (ADV): the last two 512-byte
/// sectors of <c>ldlinux.sys</c>, two identical copies. Each copy: a head magic, a checksum that
/// makes the 32-bit words after it sum to a second magic, 500 bytes of tag-length-value items (tag
/// 0 ends them; tag 1 is the boot-once command), and a tail magic. ldlinux reads the boot-once
/// command, clears it in the ADV on the disk, and only then boots it — so it is booted once. This
/// is the format <c>syslinux --once</c> writes; the agent writes it itself because images carry no
/// SYSLINUX installer. The file is rewritten in place, so the sectors ldlinux was told about at
/// install stay the ones it reads.
/// </summary>
public static class SyslinuxBootOnce
{
    public const string LoaderFile = "ldlinux.sys";
    private const int CopySize = 512;
    private const uint HeadMagic = 0x5a2d2fa5;
    private const uint SumMagic = 0xa3041767;
    private const uint TailMagic = 0xdd28bf64;
    private const byte EndTag = 0;
    private const byte BootOnceTag = 1;

    /// <summary>The boot-once command in <paramref name="loader"/>'s ADV, or null when none is set.</summary>
    public static string? Read(string loader)
    {
        var adv = ReadAdv(loader);
        return Items(Valid(adv)).TryGetValue(BootOnceTag, out var value) ? Encoding.ASCII.GetString(value) : null;
    }

    /// <summary>Sets (or with null clears) the boot-once command, keeping every other item of the ADV.</summary>
    public static void Write(string loader, string? command)
    {
        var adv = ReadAdv(loader);
        var items = Items(Valid(adv));
        items.Remove(BootOnceTag);
        if (command is not null)
        {
            if (command.Length is 0 or > 255 || !Ascii.IsValid(command))
                throw new ArgumentException($"'{command}' is not a boot-once command SYSLINUX can hold", nameof(command));
            items[BootOnceTag] = Encoding.ASCII.GetBytes(command);
        }

        var copy = Build(items);
        using var file = new FileStream(loader, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        file.Seek(-2 * CopySize, SeekOrigin.End);
        file.Write(copy);
        file.Write(copy);
        file.Flush(flushToDisk: true);
    }

    private static byte[] ReadAdv(string loader)
    {
        using var file = new FileStream(loader, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (file.Length < 2 * CopySize)
            throw new InvalidDataException($"{loader} is {file.Length} bytes, too short to end in SYSLINUX's auxiliary data vector");
        var adv = new byte[2 * CopySize];
        file.Seek(-adv.Length, SeekOrigin.End);
        file.ReadExactly(adv);
        return adv;
    }

    /// <summary>The first copy that checks out; none (an ADV never written) reads as empty.</summary>
    private static ReadOnlySpan<byte> Valid(byte[] adv)
    {
        for (var i = 0; i < 2; i++)
        {
            var copy = adv.AsSpan(i * CopySize, CopySize);
            if (IsValid(copy))
                return copy;
        }

        return default;
    }

    private static bool IsValid(ReadOnlySpan<byte> copy)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(copy) != HeadMagic || BinaryPrimitives.ReadUInt32LittleEndian(copy[(CopySize - 4)..]) != TailMagic)
            return false;
        var sum = 0u;
        for (var at = 4; at < CopySize - 4; at += 4)
            sum += BinaryPrimitives.ReadUInt32LittleEndian(copy[at..]);
        return sum == SumMagic;
    }

    private static Dictionary<byte, byte[]> Items(ReadOnlySpan<byte> copy)
    {
        var items = new Dictionary<byte, byte[]>();
        if (copy.IsEmpty)
            return items;
        var data = copy[8..(CopySize - 4)];
        for (var at = 0; at + 2 <= data.Length && data[at] != EndTag;)
        {
            var tag = data[at];
            var length = data[at + 1];
            if (at + 2 + length > data.Length)
                break;
            items[tag] = data.Slice(at + 2, length).ToArray();
            at += 2 + length;
        }

        return items;
    }

    private static byte[] Build(Dictionary<byte, byte[]> items)
    {
        var copy = new byte[CopySize];
        var at = 8;
        foreach (var (tag, value) in items.OrderBy(i => i.Key))
        {
            if (at + 2 + value.Length > CopySize - 4)
                throw new InvalidOperationException("SYSLINUX's auxiliary data vector has no room for these items");
            copy[at] = tag;
            copy[at + 1] = (byte)value.Length;
            value.CopyTo(copy, at + 2);
            at += 2 + value.Length;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(copy, HeadMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(CopySize - 4), TailMagic);
        var sum = 0u;
        for (var word = 8; word < CopySize - 4; word += 4)
            sum += BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(word));
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(4), SumMagic - sum);
        return copy;
    }
}
