using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Tests.ReadOnlyRoots;

/// <summary>
/// Two Debian images with read-only roots, built once for the class: a squashfs root, and an
/// erofs root under dm-verity, built side by side after the base they share (cryptsetup-bin is
/// asked for in both). The erofs one is built with <c>--verify-reproducible</c> (the disk made
/// twice, the second time bypassing the cache: mkfs.erofs and veritysetup give the same bytes).
/// Root may log in on the console without a password so the harness can run commands, and the
/// report agent is in each.
/// </summary>
public sealed class DebianReadOnlyImages : IAsyncLifetime
{
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("imagepipe-readonly-roots-").FullName;
    public BuildResult Squashfs { get; private set; } = null!;
    public BuildResult Erofs { get; private set; } = null!;
    private readonly TaskCompletionSource baseBuilt = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DebianReadOnlyImages() => SquashfsObserver = new RecordingObserver { OnStageStarted = stage => { if (stage == "rootfs") baseBuilt.TrySetResult(); } };

    public RecordingObserver SquashfsObserver { get; }
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
            ReportAgent = await ImagePipeline.Cli.AgentBinary.EnsurePublishedAsync(TestContext.Current.CancellationToken),
        };
        var ct = TestContext.Current.CancellationToken;
        // The squashfs build makes the base; the erofs build then starts beside the rest of it.
        var squashfs = new ImageBuilder(options, SquashfsObserver).BuildAsync(RecipeFor("squashfs", verity: false), ct);
        await Task.WhenAny(baseBuilt.Task, squashfs);
        var erofs = new ImageBuilder(options with { VerifyReproducible = true }, ErofsObserver).BuildAsync(RecipeFor("erofs", verity: true), ct);
        Squashfs = await squashfs;
        Erofs = await erofs;
    }

    public BuildResult Image(string root) => root == "squashfs" ? Squashfs : Erofs;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(DataDirectory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
