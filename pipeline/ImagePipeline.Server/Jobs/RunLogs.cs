using System.Globalization;

namespace ImagePipeline.Server.Jobs;

/// <summary>
/// Each run's log, one file per run under DATA/server/runs: what the build and validation
/// printed, with times. Files, not memory: any server process (scale-out) can stream any run's
/// log, and it survives a restart.
/// </summary>
public sealed class RunLogs(ServerOptions options, TimeProvider clock)
{
    private readonly Lock gate = new();

    public string PathOf(long runId) => Path.Combine(options.RunLogsDirectory, $"{runId.ToString(CultureInfo.InvariantCulture)}.log");

    public void Append(long runId, string line)
    {
        var path = PathOf(runId);
        lock (gate)
        {
            Directory.CreateDirectory(options.RunLogsDirectory);
            File.AppendAllText(path, $"{clock.GetUtcNow():HH:mm:ss.fff} {line}\n");
        }
    }
}
