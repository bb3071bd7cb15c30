using System.Globalization;
using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder;

/// <summary>
/// One build's log (<c>DATA/logs/TIME-NAME-PID.log</c>) and its leases on the stage cache, with the
/// <see cref="BuildContext"/> its stages share. Disposing it ends the leases (see <see cref="StageCache"/>) and closes the log.
/// What the image builder, the deploy environment's and the installer's have in common.
/// </summary>
public sealed class BuildSession : IDisposable
{
    private readonly BuildLog log;
    private readonly StageCache cache;

    private BuildSession(BuildOptions options, Recipe recipe, string logName, IBuildObserver observer, DateTimeOffset started, CancellationToken cancellationToken)
    {
        var data = Path.GetFullPath(options.DataDirectory);
        var logs = Path.Combine(data, "logs");
        Directory.CreateDirectory(logs);
        LogPath = Path.Combine(logs, $"{started:yyyyMMddTHHmmss}-{logName}-{Environment.ProcessId}.log");
        log = new BuildLog(LogPath);
        cache = new StageCache(Path.Combine(data, "cache"));
        Context = new BuildContext
        {
            Recipe = recipe,
            Log = log,
            Tools = new ToolRunner(log),
            Cache = cache,
            Observer = observer,
            SourceDateEpoch = options.SourceDateEpoch,
            ReportAgent = options.ReportAgent,
            ChunkStore = ArtifactStore.ArtifactStoreLayout.ChunkStore(data),
            BaseDay = started.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            CancellationToken = cancellationToken,
        };
    }

    public BuildContext Context { get; }
    public string LogPath { get; }

    /// <param name="logName">the log file's name between its time and the process id (the recipe's name for an image)</param>
    public static BuildSession Open(BuildOptions options, Recipe recipe, string logName, IBuildObserver observer, DateTimeOffset started, CancellationToken cancellationToken) =>
        new(options, recipe, logName, observer, started, cancellationToken);

    public void Dispose()
    {
        cache.Dispose();
        log.Dispose();
    }
}
