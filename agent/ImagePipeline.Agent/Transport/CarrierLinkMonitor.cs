namespace ImagePipeline.Agent.Transport;

/// <summary>Watches one NIC's carrier in sysfs (<c>/sys/class/net/IF/carrier</c>), polled every 100 ms.</summary>
public sealed class CarrierLinkMonitor : ILinkMonitor, IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private readonly string carrierPath;
    private readonly LinkState state;
    private readonly Timer timer;

    private CarrierLinkMonitor(string carrierPath)
    {
        this.carrierPath = carrierPath;
        state = new LinkState(ReadCarrier());
        timer = new Timer(_ => state.Set(ReadCarrier()), null, Poll, Poll);
    }

    /// <summary>The interface whose MAC is <paramref name="mac"/> (the one the machine netbooted from), or null when there is none.</summary>
    public static CarrierLinkMonitor? ForMac(string? mac, string sysClassNet = "/sys/class/net")
    {
        if (string.IsNullOrEmpty(mac) || !Directory.Exists(sysClassNet))
            return null;
        foreach (var nic in Directory.EnumerateDirectories(sysClassNet))
        {
            var address = Path.Combine(nic, "address");
            if (File.Exists(address) && string.Equals(File.ReadAllText(address).Trim(), mac, StringComparison.OrdinalIgnoreCase))
                return new CarrierLinkMonitor(Path.Combine(nic, "carrier"));
        }

        return null;
    }

    public bool IsUp => state.IsUp;
    public CancellationToken LinkLost => state.LinkLost;

    public Task<bool> WaitUntilUpAsync(TimeSpan timeout, CancellationToken cancellationToken) => state.WaitUntilUpAsync(timeout, cancellationToken);

    /// <summary>carrier reads 1 with a link, 0 without; reading it fails while the interface is down, which is no link either.</summary>
    private bool ReadCarrier()
    {
        try
        {
            return File.ReadAllText(carrierPath).Trim() == "1";
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        timer.Dispose();
        state.Dispose();
    }
}
