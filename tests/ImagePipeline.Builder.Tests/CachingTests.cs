using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Tests;

[Collection(nameof(ExclusiveStore))]
public sealed class CachingTests(TinyImage tiny)
{
    [Fact]
    public async Task A_files_change_rebuilds_the_image_without_running_mmdebstrap_again()
    {
        var changed = tiny.Recipe with { Files = [.. tiny.Recipe.Files, new RecipeFile("/etc/issue", "changed by a test\n", null, 0b110_100_100)] };
        var observer = new RecordingObserver();

        var result = await new ImageBuilder(tiny.Options, observer).BuildAsync(changed, TestContext.Current.CancellationToken);

        observer.Cached["base"].ShouldBeTrue();
        observer.Cached["rootfs"].ShouldBeFalse();
        observer.Cached["disk"].ShouldBeFalse();
        result.Manifest.ImageId.ShouldNotBe(tiny.Result.Manifest.ImageId);
        result.Manifest.InputDigest.ShouldNotBe(tiny.Result.Manifest.InputDigest);
        result.Manifest.Stages.Single(s => s.Stage == "base").Cached.ShouldBeTrue();
    }

    [Fact]
    public async Task A_cancelled_build_publishes_nothing_and_leaves_no_temporary_directory()
    {
        var changed = tiny.Recipe with { Files = [.. tiny.Recipe.Files, new RecipeFile("/etc/cancelled", "x\n", null, 0b110_100_100)] };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var observer = new RecordingObserver { OnStageStarted = stage => { if (stage == "disk") cancel.CancelAfter(300); } };
        var before = Directory.GetDirectories(Path.Combine(tiny.DataDirectory, "artifacts", "sha256")).Length;

        await Should.ThrowAsync<OperationCanceledException>(() => new ImageBuilder(tiny.Options, observer).BuildAsync(changed, cancel.Token));

        Directory.GetDirectories(Path.Combine(tiny.DataDirectory, "artifacts", "sha256")).Length.ShouldBe(before);
        foreach (var stage in Directory.GetDirectories(Path.Combine(tiny.DataDirectory, "cache")))
            CacheTemporaries.In(stage).ShouldBeEmpty(stage);
    }
}
