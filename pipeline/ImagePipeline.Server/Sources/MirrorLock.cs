namespace ImagePipeline.Server.Sources;

/// <summary>
/// One writer per mirror across processes: server processes that share a data directory
/// (scale-out) would otherwise clone into the same temporary directory or race on git's ref
/// locks. An exclusive <see cref="Builder.Caching.FileLease"/> on MIRROR.lock (the stage cache's
/// flock), released by the kernel when its holder dies, so a killed server never leaves the mirror
/// locked.
/// </summary>
internal sealed class MirrorLock : IDisposable
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(50);
    private readonly Builder.Caching.FileLease lease;

    private MirrorLock(Builder.Caching.FileLease lease) => this.lease = lease;

    /// <param name="patience">how long to wait for another holder; then the job fails instead of waiting forever</param>
    public static async Task<MirrorLock> AcquireAsync(string mirrorDirectory, TimeSpan patience, CancellationToken cancellationToken)
    {
        var path = mirrorDirectory + ".lock";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (Builder.Caching.FileLease.TryAcquire(path, exclusive: true) is { } acquired)
                return new MirrorLock(acquired);
            if (waited.Elapsed >= patience)
                throw new GitException($"git: the mirror {mirrorDirectory} has been locked by another fetch for {waited.Elapsed.TotalSeconds:0} s; giving up");
            await Task.Delay(Retry, cancellationToken);
        }
    }

    public void Dispose() => lease.Dispose();
}
