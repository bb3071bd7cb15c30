namespace ImagePipeline.Server;

/// <summary>How <c>imagepipe server</c> runs.</summary>
public sealed record ServerOptions
{
    /// <summary>The embedded store: server.db (state), hangfire.db (jobs), sources/ (git mirrors), runs/ (logs), artifacts/ (images).</summary>
    public required string DataDirectory { get; init; }
    /// <summary>The state and job database: null for the embedded SQLite files under the data directory, else PostgreSQL (see <c>State.StateStore</c>).</summary>
    public string? Database { get; init; }
    /// <summary>How often Hangfire's SQLite storage looks for new jobs (its default of 15 s makes a trigger feel dead).</summary>
    public TimeSpan QueuePollInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Workers for builds and triggers (queues critical and default).</summary>
    public int Workers { get; init; } = 2;
    /// <summary>Workers for QEMU validation: what the cores can carry (each profile takes a core of its own).</summary>
    public int ValidationWorkers { get; init; } = 1;
    /// <summary>The first admin's password on a store without accounts (IMAGEPIPE_ADMIN_PASSWORD); null prints a one-time password instead.</summary>
    public string? AdminPassword { get; init; }
    /// <summary>The promotion ladder after candidate, with the approvals each channel needs (see <c>Promotion.Channels</c>).</summary>
    public string? Channels { get; init; }
    /// <summary>The image-signing key (PEM, ECDSA P-256); null for DATA/server/signing-key.pem, made on first start.</summary>
    public string? SigningKeyPath { get; init; }
    /// <summary>How long an emergency approval stays valid.</summary>
    public TimeSpan EmergencyApprovalLifetime { get; init; } = TimeSpan.FromHours(24);
    /// <summary>The boot service whose machines rollouts deploy (its operator API), and its admin token for setting desired images.</summary>
    public Uri? BootServiceUrl { get; init; }
    public string? BootServiceToken { get; init; }
    /// <summary>Sites with a boot service of their own (<c>--site NAME=URL</c>): their machines deploy through it, every other machine through <see cref="BootServiceUrl"/>.</summary>
    public IReadOnlyList<BootServiceSite> Sites { get; init; } = [];

    /// <summary>Every boot service the server drives: the default one (if any) first, then the sites'.</summary>
    public IReadOnlyList<BootServiceSite> BootServices =>
        [.. (BootServiceUrl is null ? [] : new[] { new BootServiceSite(null, BootServiceUrl, BootServiceToken) }), .. Sites];

    /// <summary>The boot service of a machine at <paramref name="site"/>: its site's own, else the default one; null when there is none.</summary>
    public BootServiceSite? BootServiceFor(string? site) =>
        Sites.FirstOrDefault(s => s.Site == site) ?? (BootServiceUrl is null ? null : new BootServiceSite(null, BootServiceUrl, BootServiceToken));
    /// <summary>
    /// How long a run's heartbeat may be missing before another server hands the run to a new job
    /// (<c>--heartbeat-stale</c>; default 30 s); a working job beats six times in that window.
    /// </summary>
    public TimeSpan HeartbeatStale { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan HeartbeatInterval => HeartbeatStale / 6;
    /// <summary>How long a clone or fetch of a recipe source may take before it is killed and its job fails (<c>--git-timeout</c>).</summary>
    public TimeSpan GitTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>How long an image nothing refers to (a failed validation's, one built outside the server) stays in the artifact store.</summary>
    public TimeSpan ArtifactRetention { get; init; } = TimeSpan.FromDays(14);
    /// <summary>This process among the servers sharing a database: its Hangfire servers' names start with it, and runs record it.</summary>
    public string WorkerName { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";
    /// <summary>The largest disk image <c>POST /api/v1/images</c> takes (the upload and the disk inside it; <c>--import-max-size</c>).</summary>
    public long ImportLimit { get; init; } = 64L << 30;
    /// <summary>Single sign-on for the web UI through an OpenID Connect provider (<c>--oidc-authority</c>); null: local accounts only.</summary>
    public OidcSettings? Oidc { get; init; }
    /// <summary>Where traces go by OTLP (<c>--otlp-endpoint</c>, e.g. http://collector:4317); null with no <see cref="TraceExporter"/>: no tracing.</summary>
    public Uri? OtlpEndpoint { get; init; }
    /// <summary>Another trace exporter to add (a test's in-memory one); tracing is on when this or <see cref="OtlpEndpoint"/> is set.</summary>
    public Action<OpenTelemetry.Trace.TracerProviderBuilder>? TraceExporter { get; init; }
    /// <summary>The health-reporting agent built into images; null leaves it out.</summary>
    public string? ReportAgent { get; init; }

    public string ServerDirectory => Path.Combine(DataDirectory, "server");
    public string StatePath => Path.Combine(ServerDirectory, "server.db");
    public string HangfirePath => Path.Combine(ServerDirectory, "hangfire.db");
    public string SourcesDirectory => Path.Combine(ServerDirectory, "sources");
    public string RunLogsDirectory => Path.Combine(ServerDirectory, "runs");
}
