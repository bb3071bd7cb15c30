using System.Net;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>An address bound to a MAC until <see cref="ExpiresAt"/>. Expired leases are kept so a client gets its old address back.</summary>
/// <param name="Mac">lower-case, colon separated</param>
public sealed record Lease(string Mac, IPAddress Address, DateTimeOffset ExpiresAt, string? HostName);
