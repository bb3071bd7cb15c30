using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Files;
using ImagePipeline.BootService.Http;
using ImagePipeline.BootService.Network;
using ImagePipeline.BootService.Tftp;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.BootService.Hosting;

/// <summary>Starts and stops the UDP side of the boot service: DHCP (full or proxy), TFTP, router advertisements.</summary>
public sealed class BootNetworkService(BootServiceOptions options, BootNetwork network, BootFilePlanner planner, BootFiles files,
    ILeaseStore leases, IBootSightings sightings, TimeProvider clock, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private DhcpServer? dhcp;
    private FullDhcpResponder? fullResponder;
    private TftpServer? tftp;
    private RouterAdvertiser? advertiser;

    public DhcpStatistics? DhcpStatistics => dhcp?.Statistics;
    public TftpStatistics? TftpStatistics => tftp?.Statistics;

    public BootServiceStatistics Snapshot() => new(dhcp?.Statistics, tftp?.Statistics, advertiser?.Sent ?? 0,
        [.. new[] { dhcp?.Receiving, dhcp?.Handling, tftp?.Receiving, advertiser?.Receiving }.OfType<ImagePipeline.Loops.RetryPacer>().Select(ImagePipeline.Loops.LoopSnapshot.Of)]);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Mode == BootMode.HttpOnly || options.Interface is null)
            return;
        IDhcpResponder responder;
        if (options.Mode == BootMode.Full)
        {
            var pool = await AddressPool.LoadAsync(network.Pool!, [network.ServerAddress], leases, clock, options.LeaseTime, cancellationToken);
            var dhcpNetwork = new DhcpNetwork(network.SubnetMask, options.Router, options.DnsServers, options.LeaseTime);
            responder = fullResponder = new FullDhcpResponder(pool, dhcpNetwork, planner);
        }
        else
        {
            responder = new ProxyDhcpResponder(planner);
        }

        dhcp = new DhcpServer(options.Interface, responder, sightings, loggers.CreateLogger<DhcpServer>());
        dhcp.Start(pxePort: options.Mode == BootMode.Proxy, options.DhcpPort);
        tftp = new TftpServer(files, new TftpServerLimits(), loggers.CreateLogger<TftpServer>());
        tftp.Start(network.ServerAddress, options.TftpPort, options.Interface);
        if (options.RouterAdvertisements ?? options.Mode == BootMode.Full)
        {
            advertiser = new RouterAdvertiser(options.Interface, loggers.CreateLogger<RouterAdvertiser>());
            advertiser.Start();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (advertiser is not null)
            await advertiser.DisposeAsync();
        if (tftp is not null)
            await tftp.DisposeAsync();
        if (dhcp is not null)
            await dhcp.DisposeAsync();
        fullResponder?.Dispose();
        advertiser = null;
        tftp = null;
        dhcp = null;
        fullResponder = null;
    }
}
