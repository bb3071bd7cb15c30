namespace ImagePipeline.BootService.Tftp;

/// <summary>What the server allows a client to ask for.</summary>
public sealed record TftpServerLimits
{
    public int MaxBlockSize { get; init; } = TftpTransferOptions.MaximumBlockSize;
    /// <summary>A window of 64 blocks keeps a lossy link's retransmissions short.</summary>
    public int MaxWindowSize { get; init; } = 64;
    /// <summary>Retransmission timeout when the client does not set one (RFC 2349 timeout option).</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Retransmissions of one window before the transfer is abandoned.</summary>
    public int MaxRetries { get; init; } = 5;
    /// <summary>netascii files are converted in memory: only small ones.</summary>
    public long MaxNetasciiBytes { get; init; } = 16 * 1024 * 1024;
    /// <summary>What the shared netascii conversions may hold (<see cref="NetasciiCache"/>); at least one file of <see cref="MaxNetasciiBytes"/>.</summary>
    public long NetasciiCacheBytes { get; init; } = 64 * 1024 * 1024;
}
