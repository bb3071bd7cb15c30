using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;

namespace ImagePipeline.Builder.Tests;

[Collection(nameof(ExclusiveStore))]
public sealed class ReproducibilityTests(TinyImage tiny)
{
    /// <summary>
    /// The second build reads the same cached layers while another reader goes through them (as
    /// another build beside it would, or this build's own root made beside its /var): under
    /// relatime each first read moves a file's atime, which mkfs.ext4 -d copies into the inode.
    /// </summary>
    [Fact]
    public async Task Building_the_disk_twice_gives_identical_raw_and_qcow2_bytes_while_the_cached_layers_are_read()
    {
        var ct = TestContext.Current.CancellationToken;
        var observer = new RecordingObserver();
        var options = tiny.Options with { VerifyReproducible = true };
        using var building = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reads = 0L;
        var reader = Task.Run(() => ReadEveryFileUntil(Path.Combine(tiny.DataDirectory, "cache"), building.Token, ref reads), CancellationToken.None);

        BuildResult again;
        try
        {
            again = await new ImageBuilder(options, observer).BuildAsync(tiny.Recipe, ct);
        }
        finally
        {
            await building.CancelAsync();
            await reader;
        }

        again.Manifest.ImageId.ShouldBe(tiny.Result.Manifest.ImageId);
        observer.Messages.ShouldContain(m => m.StartsWith("disk.raw identical on rebuild", StringComparison.Ordinal));
        observer.Messages.ShouldContain(m => m.StartsWith("disk.qcow2 identical on rebuild", StringComparison.Ordinal));
        observer.Cached["verify-reproducible"].ShouldBeFalse();
        Interlocked.Read(ref reads).ShouldBeGreaterThan(0);
    }

    private static void ReadEveryFileUntil(string directory, CancellationToken stop, ref long reads)
    {
        var buffer = new byte[1];
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        while (!stop.IsCancellationRequested)
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*", options))
            {
                try
                {
                    using var stream = File.OpenRead(file);
                    if (stream.Read(buffer) > 0)
                        Interlocked.Increment(ref reads);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A file a build removed meanwhile.
                }
            }
        }
    }

    [Fact]
    public async Task The_same_input_makes_no_new_version()
    {
        var again = await new ImageBuilder(tiny.Options, new RecordingObserver()).BuildAsync(tiny.Recipe, TestContext.Current.CancellationToken);

        again.AlreadyStored.ShouldBeTrue();
        again.Manifest.InputDigest.ShouldBe(tiny.Result.Manifest.InputDigest);
        again.Directory.ShouldBe(tiny.Result.Directory);
        Directory.GetDirectories(Path.Combine(tiny.DataDirectory, "artifacts", "sha256"), ".tmp-*").ShouldBeEmpty();
    }
}
