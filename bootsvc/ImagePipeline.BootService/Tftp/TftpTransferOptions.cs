using System.Globalization;

namespace ImagePipeline.BootService.Tftp;

/// <summary>
/// The parameters of one transfer after option negotiation, and what goes back in the OACK.
/// Unknown options are ignored and values out of range are not acknowledged (RFC 2347 §2); a
/// block size above what the server allows is lowered to it, as RFC 2348 permits.
/// </summary>
public sealed record TftpTransferOptions(int BlockSize, int WindowSize, TimeSpan Timeout, IReadOnlyList<KeyValuePair<string, string>> Acknowledged)
{
    public const int DefaultBlockSize = 512;
    /// <summary>RFC 2348: the largest block that fits a UDP datagram.</summary>
    public const int MaximumBlockSize = 65464;

    public static TftpTransferOptions Negotiate(IReadOnlyDictionary<string, string> requested, long fileSize, TftpServerLimits limits)
    {
        var blockSize = DefaultBlockSize;
        var windowSize = 1;
        var timeout = limits.DefaultTimeout;
        var acknowledged = new List<KeyValuePair<string, string>>();
        if (requested.TryGetValue("blksize", out var b) && int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var bs) && bs >= 8)
        {
            blockSize = Math.Min(bs, limits.MaxBlockSize);
            acknowledged.Add(new("blksize", blockSize.ToString(CultureInfo.InvariantCulture)));
        }

        if (requested.TryGetValue("timeout", out var t) && int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var ts) && ts is >= 1 and <= 255)
        {
            timeout = TimeSpan.FromSeconds(ts);
            acknowledged.Add(new("timeout", ts.ToString(CultureInfo.InvariantCulture)));
        }

        if (requested.TryGetValue("tsize", out var z) && long.TryParse(z, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            acknowledged.Add(new("tsize", fileSize.ToString(CultureInfo.InvariantCulture)));

        if (requested.TryGetValue("windowsize", out var w) && int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var ws) && ws is >= 1 and <= 65535)
        {
            windowSize = Math.Min(ws, limits.MaxWindowSize);
            acknowledged.Add(new("windowsize", windowSize.ToString(CultureInfo.InvariantCulture)));
        }

        return new TftpTransferOptions(blockSize, windowSize, timeout, acknowledged);
    }
}
