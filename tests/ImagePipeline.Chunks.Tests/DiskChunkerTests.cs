using System.Security.Cryptography;
using ImagePipeline.Chunks;

namespace ImagePipeline.Chunks.Tests;

/// <summary>Content-defined chunking of disks: bounded sizes, boundaries that survive an insertion, partitions that cut, zeros that deduplicate.</summary>
public sealed class DiskChunkerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<IReadOnlyList<Chunk>> ChunkAsync(byte[] disk, params long[] regionStarts) =>
        DiskChunker.ChunkAsync(new MemoryStream(disk), disk.Length, regionStarts, null, Ct);

    [Fact]
    public async Task Chunks_cover_the_disk_in_order_within_the_size_bounds_and_average_near_64_KiB()
    {
        var disk = TestBytes.Pseudorandom(16 << 20, seed: 1);

        var chunks = await ChunkAsync(disk);

        chunks.Sum(c => (long)c.Length).ShouldBe(disk.Length);
        chunks.Select(c => c.Offset).ShouldBe(chunks.Select((c, i) => chunks.Take(i).Sum(p => (long)p.Length)));
        chunks.SkipLast(1).ShouldAllBe(c => c.Length >= GearChunker.MinimumSize && c.Length <= GearChunker.MaximumSize);
        var average = disk.Length / (double)chunks.Count;
        average.ShouldBeInRange(48 * 1024, 96 * 1024);
        chunks[3].Sha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(disk.AsSpan((int)chunks[3].Offset, chunks[3].Length))));
    }

    [Fact]
    public async Task Bytes_inserted_in_the_middle_change_only_the_chunks_around_them()
    {
        var before = TestBytes.Pseudorandom(8 << 20, seed: 2);
        var after = before[..(3 << 20)].Concat(TestBytes.Pseudorandom(1000, seed: 3)).Concat(before[(3 << 20)..]).ToArray();

        var old = new ChunkIndex(before.Length, await ChunkAsync(before));
        var changed = new ChunkIndex(after.Length, await ChunkAsync(after));

        var shared = old.SharedWith(changed);
        (changed.Chunks.Count - shared).ShouldBeLessThanOrEqualTo(3);
        changed.Chunks.TakeWhile(c => c.Offset + c.Length <= 3 << 20).ShouldBe(old.Chunks.TakeWhile(c => c.Offset + c.Length <= 3 << 20));
    }

    [Fact]
    public async Task A_partition_start_is_always_a_boundary_so_one_partition_never_moves_anothers_chunks()
    {
        var disk = TestBytes.Pseudorandom(4 << 20, seed: 4);
        var other = (byte[])disk.Clone();
        TestBytes.Pseudorandom(5000, seed: 5).CopyTo(other, 100_000); // a change in the first partition only

        var chunks = await ChunkAsync(disk, 1 << 20, 3 << 20);
        var otherChunks = await ChunkAsync(other, 1 << 20, 3 << 20);

        chunks.ShouldContain(c => c.Offset == 1 << 20);
        chunks.ShouldContain(c => c.Offset == 3 << 20);
        otherChunks.Where(c => c.Offset >= 1 << 20).ShouldBe(chunks.Where(c => c.Offset >= 1 << 20));
    }

    [Fact]
    public async Task A_run_of_zeros_is_cut_into_identical_largest_chunks()
    {
        var disk = new byte[(8 << 20) + 12345];

        var chunks = await ChunkAsync(disk);

        chunks.SkipLast(1).ShouldAllBe(c => c.Length == GearChunker.MaximumSize);
        chunks.SkipLast(1).Select(c => c.Sha256).Distinct().ShouldHaveSingleItem();
        chunks[^1].Length.ShouldBe((8 << 20) + 12345 - (chunks.Count - 1) * GearChunker.MaximumSize);
    }

    [Fact]
    public async Task The_boundaries_never_change_between_versions()
    {
        // Every chunk id in every store depends on the gear table and the masks: pinned here.
        var chunks = await ChunkAsync(TestBytes.Pseudorandom(2 << 20, seed: 6));

        var lengths = string.Join(',', chunks.Select(c => c.Length));
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(lengths)))[..16].ShouldBe("e06f6b9353ca1799");
    }
}
