using System.Buffers.Binary;
using System.Text;

namespace ImagePipeline.Builder.Disk;

/// <summary>
/// Reads a GUID partition table (UEFI 2.10 §5.3) from a disk image or block device: protective MBR,
/// primary header with its CRC, the entry array with its CRC, and the backup header at the end.
/// </summary>
public static class GptReader
{
    private const ulong Signature = 0x5452415020494645; // "EFI PART"

    public static GptTable Read(string path, int sectorSize = 512)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Read(stream, sectorSize);
    }

    public static GptTable Read(Stream disk, int sectorSize = 512)
    {
        var mbr = ReadAt(disk, 0, sectorSize);
        if (mbr[510] != 0x55 || mbr[511] != 0xAA)
            throw new GptFormatException("sector 0 has no MBR boot signature 55 AA: not a partitioned disk");
        if (mbr[446 + 4] != 0xEE)
            throw new GptFormatException($"the first MBR partition has type 0x{mbr[446 + 4]:X2}, not the protective 0xEE of a GPT disk");

        var header = ReadHeader(disk, 1, sectorSize, "primary");
        var entries = ReadAt(disk, header.EntriesLba * sectorSize, checked((int)(header.EntryCount * header.EntrySize)));
        if (Crc32.Compute(entries) != header.EntriesCrc)
            throw new GptFormatException("the partition entry array's CRC32 does not match the primary header");

        var backup = ReadHeader(disk, header.BackupLba, sectorSize, "backup");
        if (backup.BackupLba != 1 || backup.EntriesCrc != header.EntriesCrc || backup.DiskGuid != header.DiskGuid)
            throw new GptFormatException("the backup GPT header does not mirror the primary header");

        var partitions = new List<GptPartition>();
        for (var i = 0; i < header.EntryCount; i++)
        {
            var entry = entries.AsSpan(i * (int)header.EntrySize, (int)header.EntrySize);
            var type = new Guid(entry[..16]);
            if (type == Guid.Empty)
                continue;
            var first = BinaryPrimitives.ReadInt64LittleEndian(entry[32..]);
            var last = BinaryPrimitives.ReadInt64LittleEndian(entry[40..]);
            if (first < header.FirstUsableLba || last > header.LastUsableLba || last < first)
                throw new GptFormatException($"partition {i + 1} spans LBA {first}..{last}, outside the usable range {header.FirstUsableLba}..{header.LastUsableLba}");
            var name = Encoding.Unicode.GetString(entry.Slice(56, 72)).TrimEnd('\0');
            partitions.Add(new GptPartition(i + 1, type, new Guid(entry[16..32]), first, last,
                BinaryPrimitives.ReadUInt64LittleEndian(entry[48..]), name));
        }

        var ordered = partitions.OrderBy(p => p.FirstLba).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].FirstLba <= ordered[i - 1].LastLba)
                throw new GptFormatException($"partitions {ordered[i - 1].Number} and {ordered[i].Number} overlap");
        }

        return new GptTable(header.DiskGuid, sectorSize, header.FirstUsableLba, header.LastUsableLba, header.BackupLba, partitions);
    }

    private sealed record Header(long BackupLba, long FirstUsableLba, long LastUsableLba, Guid DiskGuid, long EntriesLba, uint EntryCount, uint EntrySize, uint EntriesCrc);

    private static Header ReadHeader(Stream disk, long lba, int sectorSize, string which)
    {
        var sector = ReadAt(disk, lba * sectorSize, sectorSize);
        var span = sector.AsSpan();
        if (BinaryPrimitives.ReadUInt64LittleEndian(span) != Signature)
            throw new GptFormatException($"the {which} GPT header at LBA {lba} has no 'EFI PART' signature");
        var size = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
        if (size < 92 || size > sectorSize)
            throw new GptFormatException($"the {which} GPT header size {size} is out of range");
        var storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(span[16..]);
        var copy = span[..(int)size].ToArray();
        copy.AsSpan(16, 4).Clear();
        if (Crc32.Compute(copy) != storedCrc)
            throw new GptFormatException($"the {which} GPT header's CRC32 does not match its contents");
        if (BinaryPrimitives.ReadInt64LittleEndian(span[24..]) != lba)
            throw new GptFormatException($"the {which} GPT header does not name its own LBA {lba}");
        var entrySize = BinaryPrimitives.ReadUInt32LittleEndian(span[84..]);
        var entryCount = BinaryPrimitives.ReadUInt32LittleEndian(span[80..]);
        if (entrySize < 128 || entrySize % 8 != 0 || entryCount > 1024)
            throw new GptFormatException($"the {which} GPT header declares {entryCount} entries of {entrySize} bytes, which is not a valid array");
        return new Header(
            BinaryPrimitives.ReadInt64LittleEndian(span[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[48..]),
            new Guid(span[56..72]),
            BinaryPrimitives.ReadInt64LittleEndian(span[72..]),
            entryCount,
            entrySize,
            BinaryPrimitives.ReadUInt32LittleEndian(span[88..]));
    }

    private static byte[] ReadAt(Stream disk, long offset, int count)
    {
        if (offset < 0 || offset + count > disk.Length)
            throw new GptFormatException($"the disk is {disk.Length} bytes, too short to hold bytes {offset}..{offset + count}");
        var buffer = new byte[count];
        disk.Position = offset;
        disk.ReadExactly(buffer);
        return buffer;
    }
}
