using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Tests.Installer;

/// <summary>A build session on a scratch data directory, for the installer's pieces that need a context.</summary>
internal sealed class InstallerContext : IDisposable
{
    private readonly BuildSession session;

    public InstallerContext(Recipe recipe)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("imagepipe-installer-test-").FullName;
        session = BuildSession.Open(new BuildOptions { DataDirectory = Directory }, recipe, "installer-test", NullBuildObserver.Instance, DateTimeOffset.UtcNow,
            TestContext.Current.CancellationToken);
    }

    public string Directory { get; }
    public BuildContext Context => session.Context;

    public void Dispose()
    {
        session.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
