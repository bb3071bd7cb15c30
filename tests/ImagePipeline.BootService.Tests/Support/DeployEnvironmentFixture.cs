using ImagePipeline.Builder;
using ImagePipeline.Builder.DeployEnvironment;

[assembly: AssemblyFixture(typeof(ImagePipeline.BootService.Tests.Support.DeployEnvironmentFixture))]

namespace ImagePipeline.BootService.Tests.Support;

/// <summary>The deploy environment (kernel + initramfs, no agent) that real-client tests netboot, built once for the test run.</summary>
public sealed class DeployEnvironmentFixture : IAsyncLifetime
{
    private readonly DirectoryInfo data = System.IO.Directory.CreateTempSubdirectory("imagepipe-bootsvc-tests-");

    public string Directory => Path.Combine(data.FullName, "deploy");

    public async ValueTask InitializeAsync() =>
        await new DeployEnvironmentBuilder(new BuildOptions { DataDirectory = data.FullName }, NullBuildObserver.Instance)
            .BuildAsync(Directory, agentBinary: null, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync()
    {
        data.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }
}
