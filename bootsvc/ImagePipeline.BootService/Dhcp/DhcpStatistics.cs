namespace ImagePipeline.BootService.Dhcp;

/// <summary>Counters of the DHCP server, read by the stats endpoint and by tests.</summary>
public sealed class DhcpStatistics
{
    private long received;
    private long malformed;
    private long ignored;
    private long replied;
    private long failed;

    public long Received => Interlocked.Read(ref received);
    /// <summary>Datagrams that did not parse: dropped.</summary>
    public long Malformed => Interlocked.Read(ref malformed);
    /// <summary>Valid requests that got no reply (not ours, pool exhausted, other server chosen).</summary>
    public long Ignored => Interlocked.Read(ref ignored);
    public long Replied => Interlocked.Read(ref replied);
    /// <summary>Requests whose handling threw (a store error): dropped, the client retries.</summary>
    public long Failed => Interlocked.Read(ref failed);

    internal void CountReceived() => Interlocked.Increment(ref received);
    internal void CountMalformed() => Interlocked.Increment(ref malformed);
    internal void CountIgnored() => Interlocked.Increment(ref ignored);
    internal void CountReplied() => Interlocked.Increment(ref replied);
    internal void CountFailed() => Interlocked.Increment(ref failed);
}
