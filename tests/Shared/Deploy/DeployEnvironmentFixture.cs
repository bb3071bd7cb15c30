using ImagePipeline.Builder;
using ImagePipeline.Builder.DeployEnvironment;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Recipes;

namespace ImagePipeline.Tests.Deploy;

/// <summary>
/// What real-client tests boot, built once per run in the process's one data directory
/// (<see cref="SharedBuildData"/>: the deploy environment and other fixtures reuse the tiny
/// image's busybox base): the tiny example image (in the data
/// directory's artifact store, where the boot service finds images), and the deploy environment
/// with the NativeAOT agent (allowed to write unsigned images: promotion signing comes later).
/// Shared by the test projects that netboot machines (boot service, lab); each registers it as
/// its assembly fixture and includes tests/Shared/Deploy in its build.
/// </summary>
public sealed class DeployEnvironmentFixture : IAsyncLifetime
{
    private readonly string data = SharedBuildData.DataDirectory;

    public string Directory => Path.Combine(data, "deploy");

    /// <summary>A data directory with the tiny image in its artifact store.</summary>
    public string DataDirectory => data;

    public string TinyImageId { get; private set; } = "";

    /// <summary>disk.qcow2 of the tiny example.</summary>
    public string TinyQcow2 { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var agent = await ImagePipeline.Cli.AgentBinary.EnsurePublishedAsync(TestContext.Current.CancellationToken);
        using var turn = await SharedBuildData.TakeTurnAsync(TestContext.Current.CancellationToken);
        var options = new BuildOptions { DataDirectory = DataDirectory, ReportAgent = agent };
        // tiny, with a check its report agent runs from inside the booted image.
        var yaml = await File.ReadAllTextAsync(RepositoryLayout.Example("tiny"), TestContext.Current.CancellationToken)
            + "  checks:\n    - command: { run: \"uname -r\", output: \"amd64\" }\n";
        var tiny = await new ImageBuilder(options, NullBuildObserver.Instance)
            .BuildAsync(RecipeParser.Parse(yaml, RepositoryLayout.Example("tiny")), TestContext.Current.CancellationToken);
        TinyQcow2 = Path.Combine(tiny.Directory, "disk.qcow2");
        TinyImageId = tiny.Manifest.ImageId;
        await new DeployEnvironmentBuilder(options, NullBuildObserver.Instance)
            .BuildAsync(Directory, new DeployEnvironmentSpec(agent, AllowUnsigned: true), TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
