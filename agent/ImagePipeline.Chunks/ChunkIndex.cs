using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ImagePipeline.Chunks;

/// <summary>
/// An image's chunk index (<c>chunks.idx</c> beside the disk): the disk's length and every chunk in
/// order. Binary, little-endian: the magic <c>IPCHUNK1</c>, the disk length (8 bytes), the chunk
/// count (4), then per chunk its length (4) and SHA-256 (32) — offsets follow from the lengths.
/// 36 bytes a chunk: ~0.6 MB for a 1 GiB disk. Its own SHA-256 is in the manifest, so what the
/// signature covers names it.
/// </summary>
public sealed record ChunkIndex(long DiskLength, IReadOnlyList<Chunk> Chunks)
{
    public const string FileName = "chunks.idx";
    private static readonly byte[] Magic = "IPCHUNK1"u8.ToArray();
    private const int EntrySize = 4 + 32;

    public byte[] ToBytes()
    {
        var bytes = new byte[Magic.Length + 8 + 4 + Chunks.Count * EntrySize];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), DiskLength);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), Chunks.Count);
        var at = 20;
        foreach (var chunk in Chunks)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), chunk.Length);
            Convert.FromHexString(chunk.Sha256).CopyTo(bytes, at + 4);
            at += EntrySize;
        }

        return bytes;
    }

    /// <summary>Reads an index, checking that it is one and that its chunks add up to the disk.</summary>
    public static ChunkIndex Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 20 || !bytes[..8].SequenceEqual(Magic))
            throw new FormatException("not a chunk index (no IPCHUNK1 header)");
        var length = BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[16..]);
        if (count < 0 || bytes.Length != 20 + (long)count * EntrySize)
            throw new FormatException($"a chunk index of {bytes.Length} bytes cannot hold {count} chunks");
        var chunks = new List<Chunk>(count);
        long offset = 0;
        for (var i = 0; i < count; i++)
        {
            var entry = bytes.Slice(20 + i * EntrySize, EntrySize);
            var size = BinaryPrimitives.ReadInt32LittleEndian(entry);
            if (size <= 0 || size > GearChunker.MaximumSize)
                throw new FormatException($"chunk {i} has length {size}, outside 1..{GearChunker.MaximumSize}");
            chunks.Add(new Chunk(offset, size, Convert.ToHexStringLower(entry[4..])));
            offset += size;
        }

        if (offset != length)
            throw new FormatException($"the chunks add up to {offset} bytes, but the disk is {length}");
        return new ChunkIndex(length, chunks);
    }

    public string Sha256() => Convert.ToHexStringLower(SHA256.HashData(ToBytes()));

    /// <summary>How many of <paramref name="other"/>'s chunks (by content) this index also has.</summary>
    public int SharedWith(ChunkIndex other)
    {
        var mine = Chunks.Select(c => c.Sha256).ToHashSet(StringComparer.Ordinal);
        return other.Chunks.Count(c => mine.Contains(c.Sha256));
    }
}
