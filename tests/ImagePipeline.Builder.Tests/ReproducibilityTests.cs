using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;

namespace ImagePipeline.Builder.Tests;

[Collection(nameof(ExclusiveStore))]
public sealed class ReproducibilityTests(TinyImage tiny)
{
    [Fact]
    public async Task Building_the_disk_twice_gives_identical_raw_and_qcow2_bytes()
    {
        var observer = new RecordingObserver();
        var options = tiny.Options with { VerifyReproducible = true };

        var again = await new ImageBuilder(options, observer).BuildAsync(tiny.Recipe, TestContext.Current.CancellationToken);

        again.Manifest.ImageId.ShouldBe(tiny.Result.Manifest.ImageId);
        observer.Messages.ShouldContain(m => m.StartsWith("disk.raw identical on rebuild", StringComparison.Ordinal));
        observer.Messages.ShouldContain(m => m.StartsWith("disk.qcow2 identical on rebuild", StringComparison.Ordinal));
        observer.Cached["verify-reproducible"].ShouldBeFalse();
    }

    [Fact]
    public async Task Files_of_the_cached_layers_read_while_the_disk_is_made_do_not_change_its_bytes()
    {
        // Another build reading the same base, or this build's own root made beside its /var: under
        // relatime each first read moves a file's atime, which mkfs.ext4 -d copies into the inode.
        var ct = TestContext.Current.CancellationToken;
        var observer = new RecordingObserver();
        using var building = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var cache = Path.Combine(tiny.DataDirectory, "cache");
        var reads = 0L;
        var reader = Task.Run(() =>
        {
            var buffer = new byte[1];
            while (!building.IsCancellationRequested)
            {
                foreach (var file in Directory.EnumerateFiles(cache, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
                {
                    try
                    {
                        using var stream = File.OpenRead(file);
                        if (stream.Read(buffer) > 0)
                            reads++;
                    }
                    catch (IOException)
                    {
                    }
                    catch (UnauthorizedAccessException)
                    {
                    }
                }
            }
        }, CancellationToken.None);

        try
        {
            var again = await new ImageBuilder(tiny.Options with { VerifyReproducible = true }, observer).BuildAsync(tiny.Recipe, ct);
            again.Manifest.ImageId.ShouldBe(tiny.Result.Manifest.ImageId);
        }
        finally
        {
            await building.CancelAsync();
            await reader;
        }

        observer.Messages.ShouldContain(m => m.StartsWith("disk.raw identical on rebuild", StringComparison.Ordinal));
        reads.ShouldBeGreaterThan(0);
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
