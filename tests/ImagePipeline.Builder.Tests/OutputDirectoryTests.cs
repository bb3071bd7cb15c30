using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;

namespace ImagePipeline.Builder.Tests;

public sealed class OutputDirectoryTests(TinyImage tiny) : IDisposable
{
    private readonly DirectoryInfo parent = Directory.CreateTempSubdirectory("imagepipe-out-");

    public void Dispose() => parent.Delete(recursive: true);

    [Fact]
    public async Task Building_into_an_existing_output_replaces_it_whole()
    {
        var output = Path.Combine(parent.FullName, "out");
        Directory.CreateDirectory(output);
        await File.WriteAllTextAsync(Path.Combine(output, "stale.txt"), "from an older build", TestContext.Current.CancellationToken);
        var options = tiny.Options with { OutputDirectory = output };

        var result = await new ImageBuilder(options, new RecordingObserver()).BuildAsync(tiny.Recipe, TestContext.Current.CancellationToken);

        result.Directory.ShouldBe(output);
        result.Manifest.ImageId.ShouldBe(tiny.Result.Manifest.ImageId);
        Directory.GetFiles(output).Select(Path.GetFileName).Order().ShouldBe(["build.log", "chunks.idx", "disk.qcow2", "disk.raw", "disk.raw.zst", "manifest.json"]);
        Directory.GetFileSystemEntries(parent.FullName).Select(Path.GetFileName).ShouldBe(["out"], "no staging or old directory is left beside the output");
    }
}
