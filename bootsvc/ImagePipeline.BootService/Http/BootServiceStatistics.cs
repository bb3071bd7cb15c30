using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Tftp;
using ImagePipeline.Loops;

namespace ImagePipeline.BootService.Http;

/// <summary>The protocol counters, served at <c>/api/v1/bootsvc/stats</c>, the socket loops' rounds and failures, and what a site's cache pulled.</summary>
public sealed record BootServiceStatistics(DhcpStatistics? Dhcp, TftpStatistics? Tftp, long RouterAdvertisementsSent, IReadOnlyList<LoopSnapshot> Loops)
{
    /// <summary>A site's boot service (--upstream): what it pulled from the pipeline server; null otherwise.</summary>
    public Images.SiteCacheStatistics? SiteCache { get; init; }
}
