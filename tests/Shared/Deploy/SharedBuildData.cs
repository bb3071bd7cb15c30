using ImagePipeline.Tests.Seed;

namespace ImagePipeline.Tests.Deploy;

/// <summary>
/// One data directory (stage cache and artifact store) for the fixtures of a test process that
/// build on the same busybox base: the tiny images and the deploy environment share one base,
/// linked in from <see cref="SeededBase"/> (built once per test run) on the first of their turns
/// (<see cref="TakeTurnAsync"/>); each build finds the stages the ones before it cached. Removed
/// by <see cref="SharedBuildDataRemoval"/> when the assembly's tests have ended.
/// </summary>
public static class SharedBuildData
{
    private static readonly SemaphoreSlim Turn = new(1, 1);
    private static readonly Lazy<string> Data = new(() => System.IO.Directory.CreateTempSubdirectory("imagepipe-test-builds-").FullName);
    private static bool seeded;

    public static string DataDirectory => Data.Value;

    /// <summary>Whether a fixture asked for the directory (and so it exists to remove).</summary>
    internal static bool Created => Data.IsValueCreated;

    /// <summary>Held while a fixture builds into <see cref="DataDirectory"/>; the first turn seeds its stage cache with the tiny base (<see cref="SeededBase"/>).</summary>
    public static async Task<IDisposable> TakeTurnAsync(CancellationToken cancellationToken)
    {
        await Turn.WaitAsync(cancellationToken);
        try
        {
            if (!seeded)
            {
                await SeededBase.IntoAsync(DataDirectory, cancellationToken);
                seeded = true;
            }
        }
        catch
        {
            Turn.Release();
            throw;
        }

        return new Release();
    }

    private sealed class Release : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
                Turn.Release();
        }
    }
}
