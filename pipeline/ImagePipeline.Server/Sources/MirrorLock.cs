namespace ImagePipeline.Server.Sources;

/// <summary>
/// One writer per mirror across processes: server processes that share a data directory
/// (scale-out) would otherwise clone into the same temporary directory or race on git's ref
/// locks. An exclusive open of MIRROR.lock is an flock on Linux, released by the kernel when its
/// holder dies, so a killed server never leaves the mirror locked.
/// </summary>
internal sealed class MirrorLock : IDisposable
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(50);
    private readonly FileStream file;

    private MirrorLock(FileStream file) => this.file = file;

    /// <param name="patience">how long to wait for another holder; then the job fails instead of waiting forever</param>
    public static async Task<MirrorLock> AcquireAsync(string mirrorDirectory, TimeSpan patience, CancellationToken cancellationToken)
    {
        var path = mirrorDirectory + ".lock";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new MirrorLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (waited.Elapsed < patience)
            {
                await Task.Delay(Retry, cancellationToken);
            }
            catch (IOException e)
            {
                throw new GitException($"git: the mirror {mirrorDirectory} has been locked by another fetch for {waited.Elapsed.TotalSeconds:0} s; giving up ({e.Message})");
            }
        }
    }

    public void Dispose() => file.Dispose();
}
