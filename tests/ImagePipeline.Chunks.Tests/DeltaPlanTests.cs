using System.Security.Cryptography;
using ImagePipeline.Chunks;

namespace ImagePipeline.Chunks.Tests;

/// <summary>Planning a delta write: what the target already holds in place, what moved, what must be fetched.</summary>
public sealed class DeltaPlanTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<ChunkIndex> IndexAsync(byte[] disk, params long[] regions) =>
        new(disk.Length, await DiskChunker.ChunkAsync(new MemoryStream(disk), disk.Length, regions, null, Ct));

    private static Task<DeltaPlan> PlanAsync(ChunkIndex image, byte[] seed, params long[] regions) =>
        DeltaPlan.CreateAsync(image, new MemoryStream(seed), seed.Length, regions, Ct);

    [Fact]
    public async Task The_same_image_on_the_disk_needs_nothing_written_or_fetched()
    {
        var disk = TestBytes.Pseudorandom(4 << 20, seed: 1);

        var plan = await PlanAsync(await IndexAsync(disk, 1 << 20), disk, 1 << 20);

        plan.Steps.ShouldAllBe(s => s.Source == ChunkSource.InPlace);
        (plan.FetchBytes, plan.MovedBytes, plan.InPlaceBytes).ShouldBe((0L, 0L, (long)disk.Length));
    }

    [Fact]
    public async Task A_small_change_is_fetched_and_what_shifted_behind_an_insertion_is_moved_not_fetched()
    {
        var old = TestBytes.Pseudorandom(6 << 20, seed: 2);
        var changed = old[..(2 << 20)].Concat(TestBytes.Pseudorandom(3000, seed: 3)).Concat(old[(2 << 20)..((6 << 20) - 3000)]).ToArray();

        var plan = await PlanAsync(await IndexAsync(changed), old);

        plan.FetchBytes.ShouldBeLessThan(3 * GearChunker.MaximumSize);
        plan.Steps.Where(s => s.Chunk.Offset + s.Chunk.Length <= 2 << 20).ShouldAllBe(s => s.Source == ChunkSource.InPlace);
        plan.MovedBytes.ShouldBeGreaterThan(3L << 20);
        // A moved chunk's bytes are where the plan says, on the seed.
        foreach (var step in plan.Steps.Where(s => s.Source == ChunkSource.Moved))
            Convert.ToHexStringLower(SHA256.HashData(old.AsSpan((int)step.SeedOffset, step.Chunk.Length))).ShouldBe(step.Chunk.Sha256);
    }

    [Fact]
    public async Task A_blank_disk_fetches_everything_and_each_repeated_chunk_once()
    {
        var image = new byte[2 << 20];
        TestBytes.Pseudorandom(300_000, seed: 4).CopyTo(image, 0);
        var index = await IndexAsync(image);

        var plan = await PlanAsync(index, TestBytes.Pseudorandom(2 << 20, seed: 5));

        plan.Steps.ShouldAllBe(s => s.Source == ChunkSource.Fetch);
        plan.ToFetch.Count.ShouldBe(index.Chunks.Select(c => c.Sha256).Distinct().Count());
        plan.FetchBytes.ShouldBeLessThan(image.Length);
    }

    [Fact]
    public async Task A_seed_that_is_one_region_of_the_disk_names_its_chunks_where_they_lie_on_the_disk()
    {
        // A disk of two 3 MiB slots: the running one (second) holds the old root, the new root goes into the first.
        var oldRoot = TestBytes.Pseudorandom(3 << 20, seed: 6);
        var newRoot = oldRoot[..(1 << 20)].Concat(TestBytes.Pseudorandom(5000, seed: 7)).Concat(oldRoot[((1 << 20) + 5000)..]).ToArray();
        const long runningSlot = 3 << 20;
        var image = await IndexAsync(newRoot);

        var plan = await DeltaPlan.CreateAsync(image, new MemoryStream(oldRoot), oldRoot.Length, [], Ct, seedStart: runningSlot);

        plan.Steps.ShouldNotContain(s => s.Source == ChunkSource.InPlace, "the new root's place is not in the seed");
        plan.FetchBytes.ShouldBeLessThan(3 * GearChunker.MaximumSize);
        plan.MovedBytes.ShouldBeGreaterThan(2L << 20);
        foreach (var step in plan.Steps.Where(s => s.Source == ChunkSource.Moved))
        {
            step.SeedOffset.ShouldBeGreaterThanOrEqualTo(runningSlot);
            Convert.ToHexStringLower(SHA256.HashData(oldRoot.AsSpan((int)(step.SeedOffset - runningSlot), step.Chunk.Length))).ShouldBe(step.Chunk.Sha256);
        }
    }
}
