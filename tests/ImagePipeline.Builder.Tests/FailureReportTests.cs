using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Tests;

[Collection(nameof(ExclusiveStore))]
public sealed class FailureReportTests(TinyImage tiny)
{
    [Fact]
    public async Task A_failing_command_reports_the_stage_the_command_and_the_tail_of_its_output()
    {
        var broken = tiny.Recipe with { Commands = ["echo preparing the widget", "echo widget exploded >&2; exit 3"] };

        var error = await Should.ThrowAsync<BuildStepException>(() => new ImageBuilder(tiny.Options, new RecordingObserver()).BuildAsync(broken, TestContext.Current.CancellationToken));

        error.Stage.ShouldBe("rootfs");
        error.Command.ShouldContain("exit 3");
        error.OutputTail.ShouldContain("widget exploded");
        error.Message.ShouldContain("exit code 3");
        CacheTemporaries.In(Path.Combine(tiny.DataDirectory, "cache", "rootfs")).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_unknown_package_fails_the_base_stage_with_apt_s_reason()
    {
        var broken = tiny.Recipe with { Packages = ["imagepipe-no-such-package"] };

        var error = await Should.ThrowAsync<BuildStepException>(() => new ImageBuilder(tiny.Options, new RecordingObserver()).BuildAsync(broken, TestContext.Current.CancellationToken));

        error.Stage.ShouldBe("base");
        error.Command.ShouldStartWith("mmdebstrap");
        error.OutputTail.ShouldContain("imagepipe-no-such-package");
    }

    [Fact]
    public async Task A_root_filesystem_too_large_for_the_disk_says_what_size_to_ask_for()
    {
        var cramped = tiny.Recipe with { Disk = tiny.Recipe.Disk with { SizeBytes = 160 * DiskSpec.MiB } };

        var error = await Should.ThrowAsync<BuildStepException>(() => new ImageBuilder(tiny.Options, new RecordingObserver()).BuildAsync(cramped, TestContext.Current.CancellationToken));

        error.Stage.ShouldBe("disk");
        error.Message.ShouldContain("raise disk.size in the recipe to at least");
    }
}
