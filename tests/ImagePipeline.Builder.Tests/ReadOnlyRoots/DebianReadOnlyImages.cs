using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Tests.ReadOnlyRoots;

/// <summary>
/// Two Debian images with read-only roots, built once for the class: a squashfs root with /var on
/// a partition of its own, and an erofs root under dm-verity with /var on tmpfs, built side by side after the base they share (cryptsetup-bin is
/// asked for in both). Both are built with <c>--verify-reproducible</c> (the disk made twice, the
/// second time bypassing the cache: mksquashfs, mkfs.erofs and veritysetup give the same bytes).
/// Root stays locked, as Debian leaves it: the harness runs commands through the report agent's
/// validation channel, which is in each. The erofs recipe carries its own checks of what a
/// read-only, verified root means, for the validation harness to run.
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
        disk: { size: 1GiB, root: {{root}}, verity: {{(verity ? "true" : "false")}}, var: {{(verity ? "tmpfs" : "256MiB")}} }
        boot: [uefi, bios]
        {{(verity ? VerityChecks : "")}}
        """, $"ro-{root}.yaml");

    /// <summary>The verity image's validate section: command checks that need a root shell, on an image whose root cannot log in.</summary>
    private const string VerityChecks = """
        validate:
          profiles: [uefi-virtio]
          timeout: 240
          checks:
            - command: { run: "passwd -S root", output: '^root L ' }
            - command: { run: "touch /usr/probe 2>&1 || true", output: 'Read-only file system' }
            - command: { run: "cat /proc/mounts", output: '^/dev/mapper/imagepipeline-root / erofs ro[, ]' }
            - command: { run: "cat /proc/mounts", output: '^imagepipeline-etc /etc overlay rw,.*upperdir=/run/imagepipeline/state/etc' }
            - command: { run: "cat /proc/mounts", output: '^imagepipeline-var /var overlay rw,' }
            - command: { run: "dmsetup status imagepipeline-root", output: ' verity V' }
            - console: 'root is verity-protected: yes; every block verified'
        """;

    public async ValueTask InitializeAsync()
    {
        var options = new BuildOptions
        {
            DataDirectory = DataDirectory,
            ReportAgent = await ImagePipeline.Cli.AgentBinary.EnsurePublishedAsync(TestContext.Current.CancellationToken),
            VerifyReproducible = true,
        };
        var ct = TestContext.Current.CancellationToken;
        // The squashfs build makes the base; the erofs build then starts beside the rest of it.
        var squashfs = new ImageBuilder(options, SquashfsObserver).BuildAsync(RecipeFor("squashfs", verity: false), ct);
        await Task.WhenAny(baseBuilt.Task, squashfs);
        var erofs = new ImageBuilder(options, ErofsObserver).BuildAsync(RecipeFor("erofs", verity: true), ct);
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
