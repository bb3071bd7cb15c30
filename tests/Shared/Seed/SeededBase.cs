using CliWrap.Buffered;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Stages;
using ImagePipeline.Recipes;

namespace ImagePipeline.Tests.Seed;

/// <summary>
/// The busybox base of the tiny example (stage 1: mmdebstrap, the pruned modules, the base's
/// initramfs; a minute of a lane each time), built once and hard-linked into the stage cache of
/// each data directory that builds tiny and its variants: those tests are about their server, boot
/// service or harness, not about fetching the same base again (the builder's own tests cover
/// that, from a cold cache). Stage cache entries never change in place, so the links are safe; a
/// --refresh (an emergency rebuild) still fetches a fresh base into the test's own cache.
/// <para>
/// test.sh gives the whole run one place for it (<see cref="Variable"/>): the first test process
/// that needs it builds it while the others wait on a lock, and each later one only links it. A
/// project run alone (dotnet test) builds its own, removed when its tests end (an assembly fixture
/// of each project that includes tests/Shared/Seed).
/// </para>
/// </summary>
public sealed class SeededBase : IAsyncDisposable
{
    /// <summary>The directory the test run shares the base in; unset, each test process builds its own.</summary>
    public const string Variable = "IMAGEPIPE_TEST_SEED";

    private static readonly SemaphoreSlim Building = new(1, 1);
    private static string? seed;
    private static DirectoryInfo? own;

    /// <summary>Puts the base into <paramref name="dataDirectory"/>'s stage cache (created if need be).</summary>
    public static async Task IntoAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var cache = Path.Combine(await SeedAsync(cancellationToken), "cache", BaseRootfsStage.Name);
        var target = Directory.CreateDirectory(Path.Combine(dataDirectory, "cache")).FullName;
        await CliWrap.Cli.Wrap("cp").WithArguments(["-al", cache, target]).ExecuteBufferedAsync(cancellationToken);
    }

    private static async Task<string> SeedAsync(CancellationToken cancellationToken)
    {
        await Building.WaitAsync(cancellationToken);
        try
        {
            if (seed is not null)
                return seed;
            var shared = Environment.GetEnvironmentVariable(Variable);
            if (string.IsNullOrEmpty(shared))
            {
                own = Directory.CreateTempSubdirectory("imagepipe-seeded-base-");
                await BuildAsync(own.FullName, cancellationToken);
                return seed = own.FullName;
            }

            Directory.CreateDirectory(shared);
            await using var held = await LockAsync(Path.Combine(shared, "lock"), cancellationToken);
            var data = Path.Combine(shared, "data");
            var ready = Path.Combine(shared, "ready");
            if (!File.Exists(ready))
            {
                // What a process killed mid-build left is not trusted: built again from scratch.
                if (Directory.Exists(data))
                    Directory.Delete(data, recursive: true);
                await BuildAsync(data, cancellationToken);
                await File.WriteAllTextAsync(ready, "", cancellationToken);
            }

            return seed = data;
        }
        finally
        {
            Building.Release();
        }
    }

    private static Task<BuildResult> BuildAsync(string dataDirectory, CancellationToken cancellationToken) =>
        new ImageBuilder(new BuildOptions { DataDirectory = dataDirectory }, NullBuildObserver.Instance)
            .BuildAsync(RecipeParser.Load(RepositoryLayout.Example("tiny")), cancellationToken);

    /// <summary>The errno (EWOULDBLOCK) .NET's refused flock carries as the exception's HResult.</summary>
    private const int HeldElsewhere = 11;

    /// <summary>
    /// Holds <paramref name="path"/> open without sharing: on Linux .NET takes flock(LOCK_EX) on it,
    /// so another process's open fails until this one closes it or ends (the kernel drops the lock
    /// of a killed process: no stale lock to clear).
    /// </summary>
    private static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e.HResult == HeldElsewhere)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        own?.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }
}
