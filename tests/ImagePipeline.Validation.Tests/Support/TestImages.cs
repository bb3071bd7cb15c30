using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Recipes;

[assembly: AssemblyFixture(typeof(ImagePipeline.Validation.Tests.Support.TestImages))]

namespace ImagePipeline.Validation.Tests.Support;

/// <summary>Images the harness tests boot: the tiny example, and a variant whose init exits so the kernel panics.</summary>
public sealed class TestImages : IAsyncLifetime
{
    /// <summary>The deploy environment's data directory too: one busybox base for both.</summary>
    private static string Data => ImagePipeline.Tests.Deploy.SharedBuildData.DataDirectory;

    /// <summary>disk.qcow2 of the tiny example.</summary>
    public string Tiny { get; private set; } = "";
    public string TinyDirectory => Path.GetDirectoryName(Tiny)!;
    /// <summary>tiny whose /sbin/init exits: the kernel panics.</summary>
    public string Panicking { get; private set; } = "";
    /// <summary>Build directory of tiny serving a page with busybox httpd on port 80.</summary>
    public string WebDirectory { get; private set; } = "";
    /// <summary>Build directory of tiny on Debian's cloud kernel, which has no e1000 driver.</summary>
    public string CloudKernelDirectory { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var recipe = RecipeParser.Load(RepositoryLayout.Example("tiny"));
        using var turn = await ImagePipeline.Tests.Deploy.SharedBuildData.TakeTurnAsync(TestContext.Current.CancellationToken);
        var builder = new ImageBuilder(new BuildOptions { DataDirectory = Data }, NullBuildObserver.Instance);
        Tiny = Path.Combine((await builder.BuildAsync(recipe, TestContext.Current.CancellationToken)).Directory, "disk.qcow2");
        var panicking = recipe with { Files = [.. recipe.Files, new RecipeFile("/sbin/init", "#!/bin/sh\necho init is about to exit\nexit 1\n", null, 0b111_101_101)] };
        Panicking = Path.Combine((await builder.BuildAsync(panicking, TestContext.Current.CancellationToken)).Directory, "disk.qcow2");
        var web = recipe with
        {
            Files =
            [
                .. recipe.Files,
                new RecipeFile("/www/index.html", "<h1>tiny web</h1>\n", null, 0b110_100_100),
                new RecipeFile("/etc/rc.d/60-httpd", "#!/bin/sh\nhttpd -p 80 -h /www\n", null, 0b111_101_101),
            ],
        };
        WebDirectory = (await builder.BuildAsync(web, TestContext.Current.CancellationToken)).Directory;
        CloudKernelDirectory = (await builder.BuildAsync(recipe with { Kernel = "linux-image-cloud-amd64" }, TestContext.Current.CancellationToken)).Directory;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
