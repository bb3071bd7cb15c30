using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Stages;
using ImagePipeline.Recipes;

[assembly: AssemblyFixture(typeof(ImagePipeline.Server.Tests.Support.SeededBase))]

namespace ImagePipeline.Server.Tests.Support;

/// <summary>
/// The busybox base (stage 1 of the tiny recipes these tests commit), fetched by mmdebstrap once
/// for the test assembly on first use and hard-linked into the data directory of each test that
/// builds: a test is about its server, not about fetching the same base again (the builder's
/// tests cover that). Stage cache entries never change in place, so the links are safe; a
/// --refresh (an emergency rebuild) still fetches a fresh base into the test's own cache.
/// </summary>
public sealed class SeededBase : IAsyncDisposable
{
    private static readonly SemaphoreSlim Building = new(1, 1);
    private static DirectoryInfo? seed;

    /// <summary>Puts the base into <paramref name="dataDirectory"/>'s stage cache (created if need be).</summary>
    public static async Task IntoAsync(string dataDirectory)
    {
        var cache = Path.Combine(await SeedAsync(), "cache", BaseRootfsStage.Name);
        var target = Directory.CreateDirectory(Path.Combine(dataDirectory, "cache")).FullName;
        await CliWrap.Cli.Wrap("cp").WithArguments(["-al", cache, target]).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<string> SeedAsync()
    {
        await Building.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (seed is not null)
                return seed.FullName;
            var data = Directory.CreateTempSubdirectory("imagepipe-seeded-base-");
            var recipe = RecipeParser.Parse(RecipeRepository.Tiny("seed"), Path.Combine(data.FullName, "tiny.yaml"));
            await new ImageBuilder(new BuildOptions { DataDirectory = data.FullName }, NullBuildObserver.Instance).BuildAsync(recipe, TestContext.Current.CancellationToken);
            seed = data;
            return data.FullName;
        }
        finally
        {
            Building.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        seed?.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }
}
