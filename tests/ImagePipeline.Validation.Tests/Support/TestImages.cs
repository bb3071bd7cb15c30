using ImagePipeline.Builder;
using ImagePipeline.Recipes;

[assembly: AssemblyFixture(typeof(ImagePipeline.Validation.Tests.Support.TestImages))]

namespace ImagePipeline.Validation.Tests.Support;

/// <summary>Images the harness tests boot: the tiny example, and a variant whose init exits so the kernel panics.</summary>
public sealed class TestImages : IAsyncLifetime
{
    private readonly string data = Directory.CreateTempSubdirectory("imagepipe-validation-tests-").FullName;

    public string Tiny { get; private set; } = "";
    public string Panicking { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var recipe = RecipeParser.Load(Path.Combine(RepositoryRoot(), "recipes", "examples", "tiny.yaml"));
        var builder = new ImageBuilder(new BuildOptions { DataDirectory = data }, new SilentObserver());
        Tiny = Path.Combine((await builder.BuildAsync(recipe, TestContext.Current.CancellationToken)).Directory, "disk.qcow2");
        var panicking = recipe with { Files = [.. recipe.Files, new RecipeFile("/sbin/init", "#!/bin/sh\necho init is about to exit\nexit 1\n", null, 0b111_101_101)] };
        Panicking = Path.Combine((await builder.BuildAsync(panicking, TestContext.Current.CancellationToken)).Directory, "disk.qcow2");
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(data, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "ImagePipeline.sln")))
                return d.FullName;
        }

        throw new InvalidOperationException("tests run from inside the repository");
    }

    private sealed class SilentObserver : IBuildObserver
    {
        public void StageStarted(string stage)
        {
        }

        public void StageFinished(string stage, TimeSpan elapsed, bool cached)
        {
        }

        public void Message(string text)
        {
        }
    }
}
