using ImagePipeline.Builder;
using ImagePipeline.Cli.Verbs;

namespace ImagePipeline.Cli.Tests.Verbs;

public sealed class BuildVerbTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("cli-tests-");

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public async Task An_invalid_recipe_exits_2_and_writes_nothing()
    {
        var recipe = Path.Combine(dir.FullName, "bad.yaml");
        await File.WriteAllTextAsync(recipe, "name: Bad_Name\nbase: busybox\ndisk: { size: 1MiB }\n", TestContext.Current.CancellationToken);
        var data = Path.Combine(dir.FullName, "data");
        var output = Path.Combine(dir.FullName, "out");

        var (code, result) = await BuildVerb.RunAsync(recipe, new BuildOptions { DataDirectory = data, OutputDirectory = output }, json: true, TestContext.Current.CancellationToken);

        code.ShouldBe(ExitCodes.InvalidInput);
        result.ShouldBeNull();
        Directory.Exists(data).ShouldBeFalse();
        Directory.Exists(output).ShouldBeFalse();
    }

    [Fact]
    public async Task A_missing_recipe_exits_2()
    {
        var (code, result) = await BuildVerb.RunAsync(Path.Combine(dir.FullName, "absent.yaml"), new BuildOptions { DataDirectory = Path.Combine(dir.FullName, "data") }, json: false, TestContext.Current.CancellationToken);

        code.ShouldBe(ExitCodes.InvalidInput);
        result.ShouldBeNull();
    }

    [Fact]
    public void An_explicit_data_directory_is_used_as_given() =>
        DataDirectory.Resolve("/srv/imagepipe").ShouldBe("/srv/imagepipe");
}
