namespace ImagePipeline.Cli.Benchmarks;

/// <summary>One simulated machine: who it is, its timing, and (as the run goes) when it was reset and when its deployment ended.</summary>
internal sealed record SimulatedMachine(string Name, string Mac, string Site, string Rack, MachineTiming Timing, bool Unhealthy)
{
    private long resetAt;
    private long endedAt;

    /// <summary>Stopwatch timestamp of its (last) reset; 0 before one.</summary>
    public long ResetTimestamp => Interlocked.Read(ref resetAt);

    /// <summary>Stopwatch timestamp of its health report's acknowledgement; 0 while on its way.</summary>
    public long EndTimestamp => Interlocked.Read(ref endedAt);

    public bool EndedHealthy { get; private set; }

    public void ResetAt(long timestamp) => Interlocked.Exchange(ref resetAt, timestamp);

    public void Ended(long timestamp, bool healthy)
    {
        EndedHealthy = healthy;
        Interlocked.Exchange(ref endedAt, timestamp);
    }
}
