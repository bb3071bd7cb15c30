using System.Security.Cryptography;
using ImagePipeline.Agent.Delta;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Agent.Signing;
using ImagePipeline.Agent.Tests.Support;
using ImagePipeline.Agent.Writing;
using ImagePipeline.Chunks;

namespace ImagePipeline.Agent.Tests.Delta;

/// <summary>
/// Delta writes onto a disk that holds the previous build: what is fetched, what the disk ends up
/// holding (byte for byte what a full write leaves), damaged chunks on the wire, and the cases
/// where the whole stream must be written instead.
/// </summary>
public sealed class DeltaWriterTests
{
    private static readonly WriteOptions Fast = new()
    {
        AllowUnsigned = true,
        Resume = new ResumePolicy { InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(50), MaxConsecutiveFailures = 3 },
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Setup(DeltaImages Images, ChunkIndex Previous, ChunkIndex Next, byte[] NextIndexBytes, MemoryChunkTransport Transport, FakeBlockDevice Disk)
    {
        /// <summary>The next build's distinct chunks that appear nowhere in the previous one.</summary>
        public HashSet<string> Missing => Next.Chunks.Select(c => c.Sha256).Except(Previous.Chunks.Select(c => c.Sha256), StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
    }

    private static async Task<Setup> SetUpAsync(bool blankDisk = false, bool swapped = false)
    {
        var images = await DeltaImages.CreateAsync(Ct, swapped);
        var (previous, _) = await DeltaImages.ChunkAsync(images.Previous, Ct);
        var (next, store) = await DeltaImages.ChunkAsync(images.Next, Ct);
        var indexBytes = next.ToBytes();
        var disk = new FakeBlockDevice(DeltaImages.Size + (4 << 20));
        if (!blankDisk)
            images.Previous.CopyTo(disk.Content, 0);
        return new Setup(images, previous, next, indexBytes, new MemoryChunkTransport(indexBytes, store), disk);
    }

    private static WriteRequest Request(Setup setup, string? signature = null) =>
        new(new Uri("http://bootsvc/images/next/disk.raw.zst"), "zstd", DeltaImages.Size, setup.Images.NextSha256, signature);

    private static DeltaSource Source(Setup setup, string? indexSha256 = null, string? indexSignature = null) =>
        new("http://bootsvc/images/next/chunks.idx", indexSha256 ?? Convert.ToHexStringLower(SHA256.HashData(setup.NextIndexBytes)), indexSignature, "http://bootsvc/images/next/chunks");

    private static Task<WriteResult?> WriteAsync(Setup setup, WriteRequest? request = null, DeltaSource? source = null, WriteOptions? options = null, List<string>? said = null) =>
        new DeltaWriter(setup.Transport, options ?? Fast, TimeProvider.System)
            .TryWriteAsync(request ?? Request(setup), source ?? Source(setup), setup.Disk, null, null, line => said?.Add(line), Ct);

    private static void ShouldHoldTheNextImage(Setup setup) =>
        setup.Disk.Content.AsSpan(0, DeltaImages.Size).SequenceEqual(setup.Images.Next).ShouldBeTrue("the disk holds the next image byte for byte, as a full write leaves it");

    [Fact]
    public async Task Onto_the_previous_build_only_the_missing_chunks_are_fetched_and_the_disk_ends_as_a_full_write_leaves_it()
    {
        var setup = await SetUpAsync();

        var result = (await WriteAsync(setup)).ShouldNotBeNull();

        ShouldHoldTheNextImage(setup);
        setup.Transport.Asked.ToHashSet(StringComparer.Ordinal).SetEquals(setup.Missing).ShouldBeTrue("exactly the chunks the disk lacked were asked for");
        setup.Transport.Asked.Count.ShouldBe(setup.Missing.Count, "each once");
        result.Method.ShouldBe("delta");
        result.ChunksFetched.ShouldBe(setup.Missing.Count);
        result.ChunksReused.ShouldBe(setup.Next.Chunks.Count - setup.Next.Chunks.Count(c => setup.Missing.Contains(c.Sha256)));
        result.BytesFetched.ShouldBeLessThan(DeltaImages.Size / 10, "a small change moves a small part of the image");
        // The inserted bytes shifted the rest of the root: found elsewhere on the disk, not fetched.
        setup.Next.Chunks.Count(c => !setup.Missing.Contains(c.Sha256) && setup.Previous.Chunks.All(p => p.Offset != c.Offset || p.Sha256 != c.Sha256)).ShouldBeGreaterThan(3);
        setup.Disk.Writes.Last().Offset.ShouldBe(0, "the first MiB is written last");
    }

    // Each MiB's copy would write over the other's source: the cycle is broken by holding a source
    // in memory, not by fetching what the disk already has.
    [Fact]
    public async Task Chunks_that_traded_places_on_the_disk_are_copied_not_fetched()
    {
        var setup = await SetUpAsync(swapped: true);
        var said = new List<string>();

        var result = (await WriteAsync(setup, said: said)).ShouldNotBeNull();

        ShouldHoldTheNextImage(setup);
        setup.Transport.Asked.ToHashSet(StringComparer.Ordinal).SetEquals(setup.Missing).ShouldBeTrue("only the chunks across the two seams are new");
        setup.Missing.Count.ShouldBeLessThan(8);
        result.ChunksReused.ShouldBeGreaterThan(20);
        said.ShouldContain(line => line.Contains("held in memory to break cycles", StringComparison.Ordinal) && line.Contains(", 0 to fetch instead", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_chunk_damaged_on_the_wire_is_refused_and_fetched_again()
    {
        var setup = await SetUpAsync();
        var damaged = setup.Missing.Order(StringComparer.Ordinal).First();
        setup.Transport.Damage[damaged] = 1;
        var said = new List<string>();

        await WriteAsync(setup, said: said);

        ShouldHoldTheNextImage(setup);
        setup.Transport.Asked.Count(d => d == damaged).ShouldBe(2);
        said.ShouldContain(line => line.Contains($"chunk {damaged} arrived as bytes with SHA-256", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_chunk_that_keeps_arriving_damaged_ends_in_a_refusal_with_the_first_MiB_as_it_was()
    {
        var setup = await SetUpAsync();
        setup.Transport.Damage[setup.Missing.Order(StringComparer.Ordinal).First()] = int.MaxValue;

        var refused = await Should.ThrowAsync<DeployRefusedException>(() => WriteAsync(setup));

        refused.Message.ShouldContain("could not be fetched intact");
        setup.Disk.Content.AsSpan(0, ImageWriter.HeadBytes).SequenceEqual(setup.Images.Previous.AsSpan(0, ImageWriter.HeadBytes)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_blank_disk_is_left_to_the_full_stream_untouched()
    {
        var setup = await SetUpAsync(blankDisk: true);
        var said = new List<string>();

        (await WriteAsync(setup, said: said)).ShouldBeNull();

        setup.Disk.Writes.ShouldBeEmpty();
        setup.Transport.IndexRequests.ShouldBe(0);
        said.ShouldHaveSingleItem().ShouldContain("holds no partition table");
    }

    [Fact]
    public async Task An_index_that_is_not_the_images_or_not_signed_like_it_is_not_used()
    {
        var setup = await SetUpAsync();
        var said = new List<string>();
        (await WriteAsync(setup, source: Source(setup, indexSha256: new string('0', 64)), said: said)).ShouldBeNull();
        said.ShouldContain(line => line.Contains("not the image's", StringComparison.Ordinal));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signed = new WriteOptions { TrustedPublicKeyPem = key.ExportSubjectPublicKeyInfoPem(), Resume = Fast.Resume };
        var request = Request(setup, ImageSignature.Sign(setup.Images.NextSha256, key));
        var indexSha256 = Convert.ToHexStringLower(SHA256.HashData(setup.NextIndexBytes));
        // A signature over the index's bare digest (what a disk signature is) does not stand for the index.
        (await WriteAsync(setup, request, Source(setup, indexSignature: ImageSignature.Sign(indexSha256, key)), signed, said)).ShouldBeNull();
        said.ShouldContain(line => line.Contains("does not verify with the trusted key", StringComparison.Ordinal));
        (await WriteAsync(setup, request, Source(setup), signed, said)).ShouldBeNull();
        said.ShouldContain(line => line.Contains("is not signed", StringComparison.Ordinal));
        setup.Disk.Writes.ShouldBeEmpty();
        setup.Transport.Batches.ShouldBe(0);

        (await WriteAsync(setup, request, Source(setup, indexSignature: ImageSignature.SignChunkIndex(indexSha256, key)), signed)).ShouldNotBeNull().Method.ShouldBe("delta");
        ShouldHoldTheNextImage(setup);
    }

    [Fact]
    public async Task A_second_delta_after_a_finished_one_finds_everything_in_place()
    {
        var setup = await SetUpAsync();
        await WriteAsync(setup);
        var asked = setup.Transport.Asked.Count;

        var again = (await WriteAsync(setup)).ShouldNotBeNull();

        again.ChunksFetched.ShouldBe(0);
        setup.Transport.Asked.Count.ShouldBe(asked);
        ShouldHoldTheNextImage(setup);
    }
}
