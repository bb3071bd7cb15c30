using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Recipes;

namespace ImagePipeline.Validation.Tests.Support;

/// <summary>
/// Images the harness tests boot: the tiny example, a variant whose init exits so the kernel
/// panics, one serving a page, one on the cloud kernel. Built once per test process, for the first
/// class that asks (a class fixture, not the assembly's: a run of the lab tests alone builds none).
/// </summary>
public sealed class TestImages : IAsyncLifetime
{
    /// <summary>The deploy environment's data directory too: one busybox base for both.</summary>
    private static string Data => ImagePipeline.Tests.Deploy.SharedBuildData.DataDirectory;
    private static readonly SemaphoreSlim Building = new(1, 1);
    private static Built? built;

    private sealed record Built(string Tiny, string Panicking, string WebDirectory, string CloudKernelDirectory);

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
        var images = await BuildOnceAsync(TestContext.Current.CancellationToken);
        (Tiny, Panicking, WebDirectory, CloudKernelDirectory) = (images.Tiny, images.Panicking, images.WebDirectory, images.CloudKernelDirectory);
    }

    /// <summary>disk.qcow2 of the tiny example, for fixtures that boot it (built with the rest on first use).</summary>
    public static async Task<string> TinyAsync(CancellationToken cancellationToken) => (await BuildOnceAsync(cancellationToken)).Tiny;

    private static async Task<Built> BuildOnceAsync(CancellationToken cancellationToken)
    {
        await Building.WaitAsync(cancellationToken);
        try
        {
            return built ??= await BuildAsync(cancellationToken);
        }
        finally
        {
            Building.Release();
        }
    }

    private static async Task<Built> BuildAsync(CancellationToken cancellationToken)
    {
        var recipe = RecipeParser.Load(RepositoryLayout.Example("tiny"));
        using var turn = await ImagePipeline.Tests.Deploy.SharedBuildData.TakeTurnAsync(cancellationToken);
        var builder = new ImageBuilder(new BuildOptions { DataDirectory = Data }, NullBuildObserver.Instance);
        var tiny = Path.Combine((await builder.BuildAsync(recipe, cancellationToken)).Directory, "disk.qcow2");
        var panicking = recipe with { Files = [.. recipe.Files, new RecipeFile("/sbin/init", "#!/bin/sh\necho init is about to exit\nexit 1\n", null, 0b111_101_101)] };
        var panickingDisk = Path.Combine((await builder.BuildAsync(panicking, cancellationToken)).Directory, "disk.qcow2");
        var web = recipe with
        {
            Files =
            [
                .. recipe.Files,
                new RecipeFile("/www/index.html", "<h1>tiny web</h1>\n", null, 0b110_100_100),
                new RecipeFile("/etc/rc.d/60-httpd", "#!/bin/sh\nhttpd -p 80 -h /www\n", null, 0b111_101_101),
            ],
        };
        var webDirectory = (await builder.BuildAsync(web, cancellationToken)).Directory;
        var cloud = (await builder.BuildAsync(recipe with { Kernel = "linux-image-cloud-amd64" }, cancellationToken)).Directory;
        return new Built(tiny, panickingDisk, webDirectory, cloud);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
