using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace ImagePipeline.Chunks;

/// <summary>
/// Content-defined chunking with a gear rolling hash and FastCDC's normalisation: a boundary falls
/// where the hash of the bytes just read matches a mask, so inserting or removing bytes moves only
/// the boundaries next to the change and every chunk after it is found again. Sizes: at least
/// <see cref="MinimumSize"/> (16 KiB; nothing is hashed before it, which is also FastCDC's speed-up),
/// about <see cref="AverageSize"/> (64 KiB: a one-package change moves a few hundred KiB, while a
/// 1 GiB disk needs only ~16,000 index entries), at most <see cref="MaximumSize"/> (256 KiB, where
/// a long run of zeros is cut into identical chunks). casync uses the same three sizes, so the two
/// are compared on equal terms. Gear over buzhash: one shift, one add and one table lookup per byte,
/// and no byte leaving a window to subtract. The gear table is derived from a fixed string and must
/// never change: every chunk id in every store depends on it.
/// </summary>
public static class GearChunker
{
    public const int MinimumSize = 16 * 1024;
    public const int AverageSize = 64 * 1024;
    public const int MaximumSize = 256 * 1024;

    // FastCDC normalisation: before the average size a stricter mask (18 bits, two more than the
    // 16 an average of 64 KiB asks for) makes a cut less likely, after it a looser one (14 bits)
    // makes it more likely, so sizes cluster around the average. The bits are spread over bits
    // 16..63, which depend on the last 17 to 64 bytes read.
    private const ulong StrictMask = 0x9292_524a_4949_0000UL;
    private const ulong LooseMask = 0x8912_2244_4891_0000UL;

    private static readonly ulong[] Gear = CreateGear();

    private static ulong[] CreateGear()
    {
        var gear = new ulong[256];
        for (var i = 0; i < gear.Length; i++)
        {
            var digest = SHA256.HashData(System.Text.Encoding.ASCII.GetBytes($"imagepipeline gear {i}"));
            gear[i] = BitConverter.ToUInt64(digest, 0);
        }

        return gear;
    }

    /// <summary>
    /// The length of the chunk that starts at <paramref name="data"/>[0]: the first boundary, or all
    /// of <paramref name="data"/> when it is at most <see cref="MaximumSize"/> and no boundary is in
    /// it (<paramref name="final"/>: nothing follows; otherwise the caller supplies at least
    /// <see cref="MaximumSize"/> bytes so the boundary is never decided short).
    /// </summary>
    public static int NextBoundary(ReadOnlySpan<byte> data, bool final)
    {
        if (data.Length <= MinimumSize)
            return final || data.Length == 0 ? data.Length : throw new ArgumentException("supply at least MaximumSize bytes unless it is the end", nameof(data));
        if (!final && data.Length < MaximumSize)
            throw new ArgumentException("supply at least MaximumSize bytes unless it is the end", nameof(data));
        var end = Math.Min(data.Length, MaximumSize);
        var normal = Math.Min(end, AverageSize);
        // The hot loop of every build and every delta deploy: foreach over spans (no bounds
        // checks) and the table read by reference (a byte always indexes inside its 256 entries).
        ref var gear = ref MemoryMarshal.GetArrayDataReference(Gear);
        ulong hash = 0;
        var i = MinimumSize;
        foreach (var value in data[MinimumSize..normal])
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, value);
            i++;
            if ((hash & StrictMask) == 0)
                return i;
        }

        foreach (var value in data[normal..end])
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, value);
            i++;
            if ((hash & LooseMask) == 0)
                return i;
        }

        return end;
    }
}
