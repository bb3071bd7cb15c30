using System.Buffers.Binary;

namespace ImagePipeline.Agent.Disks;

/// <summary>
/// Reads where the partitions of the GPT already on a disk start and end (the primary header at
/// LBA 1 and its entries, both CRCs checked, UEFI 2.10 §5.3). A delta write cuts what the disk
/// holds at these boundaries, as the builder cut the image at its own.
/// </summary>
public static class PartitionTable
{
    private const int Sector = 512;
    private const int MaxEntriesBytes = 128 * 1024;

    /// <returns>each partition's first byte and the byte after its last, in table order; null when the disk has no valid GPT (blank, or something else)</returns>
    public static IReadOnlyList<(long Start, long End)>? Read(IBlockDevice disk) =>
        ReadEntries(disk)?.Select(p => (p.Start, p.End)).ToList();

    /// <summary>The partitions of the table in an image's first bytes (the protective MBR, the header and its entries).</summary>
    public static IReadOnlyList<GptEntry>? ReadEntries(byte[] head) => ReadEntries(new HeadBytes(head));

    /// <summary>The table's partitions with their numbers, names and GUIDs; null when the disk has no valid GPT.</summary>
    public static IReadOnlyList<GptEntry>? ReadEntries(IBlockDevice disk)
    {
        if (disk.Length < 34 * Sector)
            return null;
        var header = new byte[Sector];
        if (disk.Read(Sector, header) != Sector || !header.AsSpan(0, 8).SequenceEqual("EFI PART"u8))
            return null;
        var headerSize = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        if (headerSize is < 92 or > Sector)
            return null;
        var sealedCrc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(16));
        var unsealed = header.AsSpan(0, headerSize).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(unsealed.AsSpan(16), 0);
        if (Crc32.Compute(unsealed) != sealedCrc)
            return null;

        var entriesLba = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(72));
        var count = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(80));
        var size = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(84));
        if (count <= 0 || size < 128 || (long)count * size > MaxEntriesBytes || entriesLba < 2 || (entriesLba * Sector) + ((long)count * size) > disk.Length)
            return null;
        var entries = new byte[count * size];
        if (disk.Read(entriesLba * Sector, entries) != entries.Length || Crc32.Compute(entries) != BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(88)))
            return null;

        var partitions = new List<GptEntry>();
        for (var i = 0; i < count; i++)
        {
            var entry = entries.AsSpan(i * size, size);
            if (entry[..16].IndexOfAnyExcept((byte)0) < 0)
                continue;
            var first = BinaryPrimitives.ReadInt64LittleEndian(entry[32..]);
            var last = BinaryPrimitives.ReadInt64LittleEndian(entry[40..]);
            if (first <= 0 || last < first)
                continue;
            // The name: UTF-16LE, up to 36 characters, NUL-padded.
            var name = System.Text.Encoding.Unicode.GetString(entry.Slice(56, 72)).TrimEnd('\0');
            partitions.Add(new GptEntry(i + 1, first * Sector, (last + 1) * Sector, name, new Guid(entry[..16]), new Guid(entry.Slice(16, 16))));
        }

        return partitions;
    }
}

/// <summary>An image's first bytes, read as a disk.</summary>
file sealed class HeadBytes(byte[] head) : IBlockDevice
{
    public string Path => "(image head)";
    public long Length => head.Length;
    public bool ReadsBackZeros => false;
    public void Write(long offset, ReadOnlySpan<byte> data) => throw new NotSupportedException();

    public int Read(long offset, Span<byte> destination)
    {
        var count = (int)Math.Max(0, Math.Min(destination.Length, head.Length - offset));
        head.AsSpan((int)offset, count).CopyTo(destination);
        return count;
    }

    public void Flush()
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>One partition of a GPT: its number (1-based, as the kernel names it), where it lies, its name and GUIDs.</summary>
public sealed record GptEntry(int Number, long Start, long End, string Name, Guid Type, Guid Uuid)
{
    public long Length => End - Start;
}
