using System.Net;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>What a full-mode server tells clients about the network it owns.</summary>
/// <param name="SubnetMask">option 1</param>
/// <param name="Router">option 3; none on an isolated lab network</param>
/// <param name="DnsServers">option 6</param>
/// <param name="LeaseTime">option 51; T1 (option 58) and T2 (option 59) are half and seven eighths of it</param>
public sealed record DhcpNetwork(IPAddress SubnetMask, IPAddress? Router, IReadOnlyList<IPAddress> DnsServers, TimeSpan LeaseTime);
