using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Recipes;

[assembly: AssemblyFixture(typeof(ImagePipeline.Builder.Tests.Support.TinyImage))]

namespace ImagePipeline.Builder.Tests.Support;

/// <summary>
/// The tiny example, built once per test run into a private data directory whose stage cache the
/// other tests share (so only the first build downloads from the Debian mirror).
/// </summary>
public sealed class TinyImage : IAsyncLifetime
{
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("imagepipe-builder-tests-").FullName;
    public Recipe Recipe { get; } = RecipeParser.Load(RepositoryLayout.Example("tiny"));
    public BuildResult Result { get; private set; } = null!;
    public RecordingObserver Observer { get; } = new();

    public string DiskRaw => Path.Combine(Result.Directory, "disk.raw");
    public string DiskQcow2 => Path.Combine(Result.Directory, "disk.qcow2");

    public BuildOptions Options => new() { DataDirectory = DataDirectory };

    public async ValueTask InitializeAsync() =>
        Result = await new ImageBuilder(Options, Observer).BuildAsync(Recipe, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync()
    {
        Directory.Delete(DataDirectory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
