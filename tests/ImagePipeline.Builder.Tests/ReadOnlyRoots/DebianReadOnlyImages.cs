using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Tests.ReadOnlyRoots;

/// <summary>
/// Two Debian images with read-only roots, built once for the class: a squashfs root, and an
/// erofs root under dm-verity. Both are built with <c>--verify-reproducible</c> (the disk made
/// twice, the second time bypassing the cache). They share one base (cryptsetup-bin is asked
/// for in both), root may log in on the console without a password so the harness can run
/// commands, and the report agent is in each.
/// </summary>
public sealed class DebianReadOnlyImages : IAsyncLifetime
{
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("imagepipe-readonly-roots-").FullName;
    public BuildResult Squashfs { get; private set; } = null!;
    public BuildResult Erofs { get; private set; } = null!;
    public RecordingObserver SquashfsObserver { get; } = new();
    public RecordingObserver ErofsObserver { get; } = new();

    public static Recipe RecipeFor(string root, bool verity) => RecipeParser.Parse($$"""
        name: ro-{{root}}
        base: debian:bookworm
        kernel: linux-image-cloud-amd64
        packages: [cryptsetup-bin]
        commands:
          - passwd -d root
        disk: { size: 1GiB, root: {{root}}, verity: {{(verity ? "true" : "false")}} }
        boot: [uefi, bios]
        """, $"ro-{root}.yaml");

    public async ValueTask InitializeAsync()
    {
        var options = new BuildOptions
        {
            DataDirectory = DataDirectory,
            VerifyReproducible = true,
            ReportAgent = await ImagePipeline.Cli.AgentBinary.EnsurePublishedAsync(TestContext.Current.CancellationToken),
        };
        Squashfs = await new ImageBuilder(options, SquashfsObserver).BuildAsync(RecipeFor("squashfs", verity: false), TestContext.Current.CancellationToken);
        Erofs = await new ImageBuilder(options, ErofsObserver).BuildAsync(RecipeFor("erofs", verity: true), TestContext.Current.CancellationToken);
    }

    public BuildResult Image(string root) => root == "squashfs" ? Squashfs : Erofs;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(DataDirectory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
