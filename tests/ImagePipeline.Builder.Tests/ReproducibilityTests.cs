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
    public async Task The_same_input_makes_no_new_version()
    {
        var again = await new ImageBuilder(tiny.Options, new RecordingObserver()).BuildAsync(tiny.Recipe, TestContext.Current.CancellationToken);

        again.AlreadyStored.ShouldBeTrue();
        again.Manifest.InputDigest.ShouldBe(tiny.Result.Manifest.InputDigest);
        again.Directory.ShouldBe(tiny.Result.Directory);
        Directory.GetDirectories(Path.Combine(tiny.DataDirectory, "artifacts", "sha256"), ".tmp-*").ShouldBeEmpty();
    }
}
