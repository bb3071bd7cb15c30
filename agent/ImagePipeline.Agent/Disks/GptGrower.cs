using System.Buffers.Binary;

namespace ImagePipeline.Agent.Disks;

/// <summary>
/// Grows the last partition of a freshly written GPT disk to the end of a larger disk (the recipe's
/// <c>grow: true</c>): the backup header and entries move to the disk's last sectors, the root
/// partition takes the space between, both headers get new CRCs (UEFI 2.10 §5.3), and the
/// protective MBR is resized. The file system inside is grown by the booted system. It edits the
/// image's first MiB in memory (the primary GPT and the MBR live there) and writes only the backup
/// at the disk's end: the image writer writes the first MiB last (<see cref="Writing.HeadFinisher"/>).
/// </summary>
public static class GptGrower
{
    private const int Sector = 512;
    private const int EntriesSectors = 32;

    /// <param name="head">the image's first MiB, not yet on the disk: its primary GPT and protective MBR are edited here</param>
    /// <param name="disk">where the backup GPT is written, at its last sectors</param>
    /// <returns>the partition number grown, or null when the disk has no room beyond the image (nothing changed)</returns>
    public static int? Grow(Span<byte> head, IBlockDevice disk)
    {
        var totalSectors = disk.Length / Sector;
        var header = Slice(head, Sector, Sector).ToArray();
        if (!header.AsSpan(0, 8).SequenceEqual("EFI PART"u8))
            throw new InvalidDataException($"the image for {disk.Path} has no GPT header at LBA 1; only GPT images can be grown");
        var entriesLba = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(72));
        var entryCount = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(80));
        var entrySize = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(84));
        var entries = Slice(head, entriesLba * Sector, (long)entryCount * entrySize).ToArray();
        if (Crc32.Compute(entries) != BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(88)))
            throw new InvalidDataException($"the GPT entries on {disk.Path} fail their CRC; refusing to rewrite them");

        var newLastUsable = totalSectors - 1 - EntriesSectors - 1;
        var oldLastUsable = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(48));
        if (newLastUsable <= oldLastUsable)
            return null;

        // The partition that ends last is the root (the builder puts it after the ESP).
        var last = -1;
        long lastEnd = 0;
        for (var i = 0; i < entryCount; i++)
        {
            var entry = entries.AsSpan(i * entrySize, entrySize);
            if (entry[..16].IndexOfAnyExcept((byte)0) < 0)
                continue;
            var end = BinaryPrimitives.ReadInt64LittleEndian(entry[40..]);
            if (end > lastEnd)
                (last, lastEnd) = (i, end);
        }

        if (last < 0)
            throw new InvalidDataException($"the GPT on {disk.Path} has no partitions");
        BinaryPrimitives.WriteInt64LittleEndian(entries.AsSpan(last * entrySize + 40), newLastUsable);
        var entriesCrc = Crc32.Compute(entries);

        var backupEntriesLba = totalSectors - 1 - EntriesSectors;
        var primary = (byte[])header.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(primary.AsSpan(32), totalSectors - 1);
        BinaryPrimitives.WriteInt64LittleEndian(primary.AsSpan(48), newLastUsable);
        BinaryPrimitives.WriteUInt32LittleEndian(primary.AsSpan(88), entriesCrc);
        Seal(primary);

        var backup = (byte[])primary.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(backup.AsSpan(24), totalSectors - 1);
        BinaryPrimitives.WriteInt64LittleEndian(backup.AsSpan(32), 1);
        BinaryPrimitives.WriteInt64LittleEndian(backup.AsSpan(72), backupEntriesLba);
        Seal(backup);

        // The backup goes to the disk now; the primary and the MBR reach it with the rest of the first MiB, last.
        disk.Write(backupEntriesLba * Sector, entries);
        disk.Write((totalSectors - 1) * Sector, backup);
        entries.CopyTo(head[(int)(entriesLba * Sector)..]);
        primary.CopyTo(head[Sector..]);
        // Protective MBR entry 1 (offset 446): sectors count at +12, capped at 2^32 - 1.
        BinaryPrimitives.WriteUInt32LittleEndian(head[(446 + 12)..], (uint)Math.Min(totalSectors - 1, uint.MaxValue));
        return last + 1;
    }

    private static void Seal(byte[] header)
    {
        var size = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), Crc32.Compute(header.AsSpan(0, size)));
    }

    private static Span<byte> Slice(Span<byte> head, long offset, long length) =>
        offset >= 0 && length >= 0 && offset + length <= head.Length
            ? head.Slice((int)offset, (int)length)
            : throw new InvalidDataException($"the image's GPT claims bytes {offset} to {offset + length}, beyond its first {head.Length >> 10} KiB; refusing to grow it");
}
