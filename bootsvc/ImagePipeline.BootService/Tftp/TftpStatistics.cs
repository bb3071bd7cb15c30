namespace ImagePipeline.BootService.Tftp;

/// <summary>Counters of the TFTP server.</summary>
public sealed class TftpStatistics
{
    private long requests;
    private long malformed;
    private long refused;
    private long completed;
    private long abandoned;
    private long retransmissions;
    private long bytesSent;

    public long Requests => Interlocked.Read(ref requests);
    /// <summary>Datagrams on port 69 that were not a well-formed request.</summary>
    public long Malformed => Interlocked.Read(ref malformed);
    /// <summary>Requests answered with an error: not found, outside the root, write requests.</summary>
    public long Refused => Interlocked.Read(ref refused);
    public long Completed => Interlocked.Read(ref completed);
    /// <summary>Transfers that ended without the last block acknowledged (client gone or gave up).</summary>
    public long Abandoned => Interlocked.Read(ref abandoned);
    public long Retransmissions => Interlocked.Read(ref retransmissions);
    public long BytesSent => Interlocked.Read(ref bytesSent);

    internal void CountRequest() => Interlocked.Increment(ref requests);
    internal void CountMalformed() => Interlocked.Increment(ref malformed);
    internal void CountRefused() => Interlocked.Increment(ref refused);
    internal void CountCompleted(long bytes)
    {
        Interlocked.Increment(ref completed);
        Interlocked.Add(ref bytesSent, bytes);
    }

    internal void CountAbandoned() => Interlocked.Increment(ref abandoned);
    internal void CountRetransmission() => Interlocked.Increment(ref retransmissions);
}
