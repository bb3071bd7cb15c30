using System.Text.RegularExpressions;
using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Builder.Tests;

/// <summary>
/// The built disk boots in real QEMU (TCG) and stays as published. That tiny boots on both
/// firmwares and the catalogue's disk buses is the validation harness's default matrix
/// (Validation.Tests' ValidationRunnerTests: BIOS and UEFI on virtio, UEFI on NVMe, BIOS on SATA),
/// not booted a second time here.
/// </summary>
public sealed class BootTests(TinyImage tiny)
{
    // Not anchored at the end of a line: a kernel message may follow the prompt at any moment.
    private static readonly Regex LoginPrompt = new("tiny login: ");

    [Fact]
    public async Task A_squashfs_root_boots_read_only_under_a_writable_overlay()
    {
        var squashfs = tiny.Recipe with
        {
            Disk = tiny.Recipe.Disk with { Root = Recipes.RootFilesystem.Squashfs },
            Files = [.. tiny.Recipe.Files, new Recipes.RecipeFile("/etc/rc.d/50-probe", "#!/bin/sh\ntouch /probe && echo overlay-writable\n", null, 0b111_101_101)],
        };
        var built = await new ImageBuilder(tiny.Options, new RecordingObserver()).BuildAsync(squashfs, TestContext.Current.CancellationToken);
        built.Manifest.Partitions[1].Filesystem.ShouldBe("squashfs");

        await using var vm = await QemuVm.StartAsync(QemuMachine.Create("bios-virtio"), Path.Combine(built.Directory, "disk.qcow2"), cancellationToken: TestContext.Current.CancellationToken);

        await vm.WaitForConsoleTextAsync(LoginPrompt, TimeSpan.FromSeconds(120), cancellationToken: TestContext.Current.CancellationToken);
        vm.Console.Text.ShouldContain("overlay-writable");
    }

    [Fact]
    public async Task Booting_never_modifies_the_published_image()
    {
        var before = File.GetLastWriteTimeUtc(tiny.DiskQcow2);
        var hash = tiny.Result.Manifest.Artifacts.Single(a => a.Name == "disk.qcow2").Sha256;

        await using (var vm = await QemuVm.StartAsync(QemuMachine.Create("bios"), tiny.DiskQcow2, cancellationToken: TestContext.Current.CancellationToken))
        {
            await vm.WaitForConsoleTextAsync(LoginPrompt, TimeSpan.FromSeconds(120), cancellationToken: TestContext.Current.CancellationToken);
            await vm.SucceedAsync("echo scribble > /root/scribble; sync", cancellationToken: TestContext.Current.CancellationToken);
        }

        File.GetLastWriteTimeUtc(tiny.DiskQcow2).ShouldBe(before);
        (await DigestBuilder.Sha256FileAsync(tiny.DiskQcow2, TestContext.Current.CancellationToken)).ShouldBe(hash);
    }
}
