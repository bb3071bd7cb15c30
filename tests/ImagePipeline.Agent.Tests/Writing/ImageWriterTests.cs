using System.Security.Cryptography;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Agent.Signing;
using ImagePipeline.Agent.Tests.Support;
using ImagePipeline.Agent.Transport;
using ImagePipeline.Agent.Writing;

namespace ImagePipeline.Agent.Tests.Writing;

/// <summary>
/// The write path against a real HTTP server that misbehaves on purpose. Every download either
/// completes (resuming as needed) with the exact image on the target, or is refused with the
/// target's first MiB exactly as it was before.
/// </summary>
public sealed class ImageWriterTests : IDisposable
{
    private static readonly TestImage Image = new();
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("imagepipe-agent-write-");

    private static readonly WriteOptions Fast = new()
    {
        AllowUnsigned = true,
        Resume = new ResumePolicy { InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(50), StallTimeout = TimeSpan.FromSeconds(1), MaxConsecutiveFailures = 5 },
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string TargetPath => Path.Combine(scratch.FullName, "disk.img");

    public ImageWriterTests()
    {
        // The disk as it was before: an older system, 0xAA everywhere.
        var before = new byte[8 << 20];
        Array.Fill(before, (byte)0xAA);
        File.WriteAllBytes(TargetPath, before);
    }

    private static WriteRequest Request(FaultyImageServer server, long? size = null, string? sha = null, string? signature = null) =>
        new(server.Url, "zstd", size ?? Image.Raw.Length, sha ?? Image.Sha256, signature);

    private async Task<WriteResult> WriteAsync(FaultyImageServer server, WriteRequest? request = null, WriteOptions? options = null)
    {
        using var http = new HttpClient();
        using var target = BlockDevice.Open(TargetPath, Image.Raw.Length);
        return await new ImageWriter(new HttpImageTransport(http), options ?? Fast, TimeProvider.System).WriteAsync(request ?? Request(server), target, null, null, Ct);
    }

    private byte[] Target => File.ReadAllBytes(TargetPath);

    private void ShouldHoldTheImage() => Target.AsSpan(0, Image.Raw.Length).SequenceEqual(Image.Raw).ShouldBeTrue("the target holds the image, byte for byte");

    private void ShouldHaveAnUntouchedHead() => Target.AsSpan(0, ImageWriter.HeadBytes).IndexOfAnyExcept((byte)0xAA).ShouldBe(-1, "the first MiB was not touched");

    [Fact]
    public async Task A_clean_download_writes_the_exact_image()
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults());

        var result = await WriteAsync(server);

        ShouldHoldTheImage();
        result.Resumes.ShouldBe(0);
        server.Requests.ShouldBe(1);
    }

    [Fact]
    public async Task Connections_dropped_at_random_offsets_are_resumed_from_where_they_broke()
    {
        var random = new Random(7);
        long[] drops = [.. Enumerable.Range(0, 4).Select(_ => (long)random.Next(1, Image.Zstd.Length / 8))];
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults { DropAfter = drops });

        var result = await WriteAsync(server);

        ShouldHoldTheImage();
        result.Resumes.ShouldBe(4);
        server.RangesAsked[0].ShouldBe("");
        server.RangesAsked.Skip(1).ShouldAllBe(r => r.StartsWith("bytes=", StringComparison.Ordinal) && r != "bytes=0-");
    }

    [Fact]
    public async Task Server_errors_are_retried_with_backoff()
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults { ServerErrors = 3 });

        await WriteAsync(server);

        ShouldHoldTheImage();
        server.Requests.ShouldBe(4);
    }

    [Fact]
    public async Task A_slow_drip_is_waited_for()
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults { Drip = (32 * 1024, TimeSpan.FromMilliseconds(2)) });

        var result = await WriteAsync(server);

        ShouldHoldTheImage();
        result.Resumes.ShouldBe(0);
    }

    [Fact]
    public async Task A_stalled_connection_is_given_up_and_resumed()
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults { StallAfter = 200_000 });

        var result = await WriteAsync(server);

        ShouldHoldTheImage();
        result.Resumes.ShouldBe(1);
    }

    [Fact]
    public async Task A_pulled_cable_drops_the_connection_at_once_and_the_download_resumes_by_range_when_it_is_plugged_back()
    {
        // The server goes silent after 200 kB, as a connection does when the cable is pulled;
        // the stall timeout is far longer than the test waits.
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults { StallAfter = 200_000 });
        using var link = new FakeLinkMonitor();
        var options = Fast with { Resume = Fast.Resume with { StallTimeout = TimeSpan.FromMinutes(5) }, Link = link };
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var writing = WriteAsync(server, options: options);
        await Retry(() => server.Requests == 1 && watch.Elapsed > TimeSpan.FromMilliseconds(300));
        link.Pull();
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        var requestsWhileDown = server.Requests;
        link.Plug();
        var result = await writing;

        ShouldHoldTheImage();
        requestsWhileDown.ShouldBe(1, "nothing is asked while the link is down");
        result.Resumes.ShouldBe(1);
        server.RangesAsked.ShouldContain(r => r.StartsWith("bytes=", StringComparison.Ordinal) && r != "bytes=0-");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "the dead connection is dropped when the link goes, not at the stall timeout");
    }

    private static async Task Retry(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
            await Task.Delay(50, Ct);
        condition().ShouldBeTrue();
    }

    [Fact]
    public async Task A_server_that_ignores_ranges_is_read_forward_to_where_the_break_was()
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults { DropAfter = [300_000], IgnoreRange = true });

        await WriteAsync(server);

        ShouldHoldTheImage();
    }

    public static TheoryData<string, Faults, long, string, string> Refusals() => new()
    {
        { "a truncated file", new Faults { TruncateBy = 1000 }, 0, "", "truncated" },
        { "wrong bytes in the middle", new Faults { CorruptAt = Image.Zstd.Length / 2 }, 0, "", "zstd" },
        { "an HTML error page with status 200", new Faults { ErrorPage = 200 }, 0, "", "not valid zstd" },
        { "404", new Faults { ErrorPage = 404 }, 0, "", "answered 404" },
        { "a stream longer than announced", new Faults(), -4096, "", "longer than the announced" },
        { "a stream shorter than announced", new Faults(), 4096, "", "ended after" },
        { "another image's hash", new Faults(), 0, new string('0', 64), "expected 0000" },
        { "a connection that keeps breaking", new Faults { DropAfter = [.. Enumerable.Repeat(10L, 20)] }, 0, "", "failed 6 times in a row" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_bad_stream_is_refused_and_the_first_MiB_is_untouched(string name, Faults faults, long sizeChange, string sha, string reason)
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, faults);

        var refused = await Should.ThrowAsync<DeployRefusedException>(() =>
            WriteAsync(server, Request(server, Image.Raw.Length + sizeChange, sha.Length == 0 ? null : sha)));

        refused.Message.ShouldContain(reason, Case.Insensitive, name);
        ShouldHaveAnUntouchedHead();
    }

    [Fact]
    public async Task An_unsigned_image_is_refused_unless_allowed()
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults());

        var refused = await Should.ThrowAsync<DeployRefusedException>(() => WriteAsync(server, options: Fast with { AllowUnsigned = false }));

        refused.Message.ShouldContain("unsigned");
        ShouldHaveAnUntouchedHead();
    }

    [Fact]
    public async Task Without_a_trusted_key_a_signed_image_is_written_unchecked_only_where_unsigned_images_are_allowed()
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults());
        using var someone = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signed = Request(server, signature: ImageSignature.Sign(Image.Sha256, someone));

        var refused = await Should.ThrowAsync<DeployRefusedException>(() => WriteAsync(server, signed, Fast with { AllowUnsigned = false }));
        ShouldHaveAnUntouchedHead();
        await WriteAsync(server, signed, Fast);

        refused.Message.ShouldContain("no trusted key");
        ShouldHoldTheImage();
    }

    [Fact]
    public async Task A_signed_image_is_written_only_when_the_signature_verifies_with_the_trusted_key()
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults());
        using var trusted = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = Fast with { AllowUnsigned = false, TrustedPublicKeyPem = trusted.ExportSubjectPublicKeyInfoPem() };

        var forged = await Should.ThrowAsync<DeployRefusedException>(() =>
            WriteAsync(server, Request(server, signature: ImageSignature.Sign(Image.Sha256, other)), options));
        ShouldHaveAnUntouchedHead();
        await WriteAsync(server, Request(server, signature: ImageSignature.Sign(Image.Sha256, trusted)), options);

        forged.Message.ShouldContain("does not verify");
        ShouldHoldTheImage();
    }

    [Fact]
    public async Task A_forged_signature_or_an_unreadable_trusted_key_is_refused_before_a_byte_is_fetched_or_written()
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults());
        using var trusted = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var disk = new FakeBlockDevice(Image.Raw.Length);
        using var http = new HttpClient();
        var writer = new ImageWriter(new HttpImageTransport(http), Fast with { AllowUnsigned = false, TrustedPublicKeyPem = trusted.ExportSubjectPublicKeyInfoPem() }, TimeProvider.System);
        var broken = new ImageWriter(new HttpImageTransport(http), Fast with { AllowUnsigned = false, TrustedPublicKeyPem = "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n" }, TimeProvider.System);

        var forged = await Should.ThrowAsync<DeployRefusedException>(() => writer.WriteAsync(Request(server, signature: ImageSignature.Sign(Image.Sha256, other)), disk, null, null, Ct));
        var unreadable = await Should.ThrowAsync<DeployRefusedException>(() => broken.WriteAsync(Request(server, signature: ImageSignature.Sign(Image.Sha256, trusted)), disk, null, null, Ct));

        forged.Message.ShouldContain("does not verify");
        unreadable.Message.ShouldContain("trusted key cannot be read");
        disk.Writes.ShouldBeEmpty("nothing of the disk was overwritten");
        server.Requests.ShouldBe(0, "nothing was even downloaded");
    }

    [Fact]
    public async Task A_target_too_small_is_refused_before_anything_is_written()
    {
        await using var server = await FaultyImageServer.StartAsync(Image.Zstd, new Faults());
        var small = new FakeBlockDevice(Image.Raw.Length - 1);

        var refused = await Should.ThrowAsync<DeployRefusedException>(() =>
            new ImageWriter(new FakeImageTransport(Image.Zstd), Fast, TimeProvider.System).WriteAsync(Request(server), small, null, null, Ct));

        refused.Message.ShouldContain("choose a larger disk");
        small.Writes.ShouldBeEmpty();
        server.Requests.ShouldBe(0);
    }

    [Fact]
    public async Task The_first_MiB_is_written_last_after_everything_else_is_flushed()
    {
        var disk = new FakeBlockDevice(8 << 20);
        var progress = new List<WriteProgress>();

        await new ImageWriter(new FakeImageTransport(Image.Zstd), Fast, TimeProvider.System)
            .WriteAsync(new WriteRequest(new Uri("http://fake/image"), "zstd", Image.Raw.Length, Image.Sha256, null), disk, progress.Add, null, Ct);

        disk.Writes[^1].ShouldBe((0L, ImageWriter.HeadBytes));
        disk.Writes[..^1].ShouldAllBe(w => w.Offset >= ImageWriter.HeadBytes);
        disk.Flushes.ShouldBe(2);
        disk.Content.AsSpan(0, Image.Raw.Length).SequenceEqual(Image.Raw).ShouldBeTrue();
        progress[^1].BytesDone.ShouldBe(Image.Raw.Length);
    }

    [Fact]
    public async Task The_deployers_edits_of_the_first_MiB_reach_the_disk_in_that_one_last_write_after_the_image_is_verified()
    {
        var disk = new FakeBlockDevice(8 << 20);
        var request = new WriteRequest(new Uri("http://fake/image"), "zstd", Image.Raw.Length, Image.Sha256, null);
        var writesWhenFinishing = -1;

        await new ImageWriter(new FakeImageTransport(Image.Zstd), Fast with { VerifyAfterWrite = true }, TimeProvider.System).WriteAsync(request, disk, null, (head, target) =>
        {
            writesWhenFinishing = disk.Writes.Count;
            "edited"u8.CopyTo(head[4096..]);
            target.Write(7 << 20, "beyond the image"u8);
        }, Ct);

        writesWhenFinishing.ShouldBeGreaterThan(0, "the body was written before the finisher ran");
        disk.Writes[^1].ShouldBe((0L, ImageWriter.HeadBytes), "the first MiB, edits included, is written once and last");
        disk.Writes.Count(w => w.Offset < ImageWriter.HeadBytes).ShouldBe(1);
        disk.Content.AsSpan(4096, 6).SequenceEqual("edited"u8).ShouldBeTrue();
        disk.Content.AsSpan(7 << 20, 16).SequenceEqual("beyond the image"u8).ShouldBeTrue();
        disk.Content.AsSpan(ImageWriter.HeadBytes, Image.Raw.Length - ImageWriter.HeadBytes).SequenceEqual(Image.Raw.AsSpan(ImageWriter.HeadBytes)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_corrupt_image_never_reaches_the_finisher_and_a_finisher_that_fails_leaves_the_first_MiB_as_it_was()
    {
        var finished = false;
        var corrupt = new FakeBlockDevice(8 << 20);
        Array.Fill(corrupt.Content, (byte)0xAA);
        var wrongHash = new WriteRequest(new Uri("http://fake/image"), "zstd", Image.Raw.Length, new string('0', 64), null);
        await Should.ThrowAsync<DeployRefusedException>(() => new ImageWriter(new FakeImageTransport(Image.Zstd), Fast, TimeProvider.System)
            .WriteAsync(wrongHash, corrupt, null, (_, _) => finished = true, Ct));
        finished.ShouldBeFalse("the finisher runs only on a verified image");
        corrupt.Content.AsSpan(0, ImageWriter.HeadBytes).IndexOfAnyExcept((byte)0xAA).ShouldBe(-1);

        var failing = new FakeBlockDevice(8 << 20);
        Array.Fill(failing.Content, (byte)0xAA);
        var request = new WriteRequest(new Uri("http://fake/image"), "zstd", Image.Raw.Length, Image.Sha256, null);
        var refused = await Should.ThrowAsync<DeployRefusedException>(() => new ImageWriter(new FakeImageTransport(Image.Zstd), Fast, TimeProvider.System)
            .WriteAsync(request, failing, null, (_, _) => throw new InvalidDataException("no GPT header"), Ct));
        refused.Message.ShouldContain("could not be made ready to boot: no GPT header");
        failing.Content.AsSpan(0, ImageWriter.HeadBytes).IndexOfAnyExcept((byte)0xAA).ShouldBe(-1, "the first MiB was not touched");
    }

    [Fact]
    public async Task Zero_chunks_are_skipped_only_on_a_target_that_reads_back_zeros()
    {
        var fresh = new FakeBlockDevice(8 << 20, readsBackZeros: true);
        var used = new FakeBlockDevice(8 << 20, readsBackZeros: false);
        var writer = new ImageWriter(new FakeImageTransport(Image.Zstd), Fast, TimeProvider.System);
        var request = new WriteRequest(new Uri("http://fake/image"), "zstd", Image.Raw.Length, Image.Sha256, null);

        var sparse = await writer.WriteAsync(request, fresh, null, null, Ct);
        var full = await writer.WriteAsync(request, used, null, null, Ct);

        sparse.BytesWritten.ShouldBeLessThan(Image.Raw.Length);
        full.BytesWritten.ShouldBe(Image.Raw.Length);
        fresh.Content.AsSpan(0, Image.Raw.Length).SequenceEqual(Image.Raw).ShouldBeTrue();
    }

    public void Dispose() => scratch.Delete(recursive: true);
}
