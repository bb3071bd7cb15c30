using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Tftp;

namespace ImagePipeline.BootService.Http;

/// <summary>The protocol counters, served at <c>/api/v1/bootsvc/stats</c>.</summary>
public sealed record BootServiceStatistics(DhcpStatistics? Dhcp, TftpStatistics? Tftp, long RouterAdvertisementsSent);
