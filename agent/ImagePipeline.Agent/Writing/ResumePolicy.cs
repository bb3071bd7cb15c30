namespace ImagePipeline.Agent.Writing;

/// <summary>How hard a download tries: consecutive failures without progress, backoff between them, and how long a silent connection is given.</summary>
public sealed record ResumePolicy
{
    public int MaxConsecutiveFailures { get; init; } = 8;
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(8);
    /// <summary>A read that delivers nothing for this long is a dead connection (a slow drip is not).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a download waits for a link that went down to come back (with a link monitor).</summary>
    public TimeSpan LinkDownTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
