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

    public static async Task<MirrorLock> AcquireAsync(string mirrorDirectory, CancellationToken cancellationToken)
    {
        var path = mirrorDirectory + ".lock";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new MirrorLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                await Task.Delay(Retry, cancellationToken);
            }
        }
    }

    public void Dispose() => file.Dispose();
}
