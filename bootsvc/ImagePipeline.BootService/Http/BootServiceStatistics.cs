using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Tftp;
using ImagePipeline.Loops;

namespace ImagePipeline.BootService.Http;

/// <summary>The protocol counters, served at <c>/api/v1/bootsvc/stats</c>, and the socket loops' rounds and failures.</summary>
public sealed record BootServiceStatistics(DhcpStatistics? Dhcp, TftpStatistics? Tftp, long RouterAdvertisementsSent, IReadOnlyList<LoopSnapshot> Loops);
