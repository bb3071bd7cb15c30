namespace ImagePipeline.Server;

/// <summary>How <c>imagepipe server</c> runs.</summary>
public sealed record ServerOptions
{
    /// <summary>The embedded store: server.db (state), hangfire.db (jobs), sources/ (git mirrors), runs/ (logs), artifacts/ (images).</summary>
    public required string DataDirectory { get; init; }
    /// <summary>The state database: null for the embedded SQLite file under the data directory.</summary>
    public string? Database { get; init; }
    /// <summary>How often Hangfire's SQLite storage looks for new jobs (its default of 15 s makes a trigger feel dead).</summary>
    public TimeSpan QueuePollInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Workers for builds and triggers (queues critical and default).</summary>
    public int Workers { get; init; } = 2;
    /// <summary>Workers for QEMU validation: what the cores can carry (each profile takes a core of its own).</summary>
    public int ValidationWorkers { get; init; } = 1;
    /// <summary>The health-reporting agent built into images; null leaves it out.</summary>
    public string? ReportAgent { get; init; }

    public string ServerDirectory => Path.Combine(DataDirectory, "server");
    public string StatePath => Path.Combine(ServerDirectory, "server.db");
    public string HangfirePath => Path.Combine(ServerDirectory, "hangfire.db");
    public string SourcesDirectory => Path.Combine(ServerDirectory, "sources");
    public string RunLogsDirectory => Path.Combine(ServerDirectory, "runs");
}
