using System.Net;

namespace ImagePipeline.Validation.Networks;

/// <summary>The host's way into a virtual network: a veth device on the host and the addresses at its two ends.</summary>
/// <param name="HostDevice">the veth end in the host's namespace</param>
/// <param name="HostAddress">the host's address on the link</param>
/// <param name="NamespaceAddress">the namespace's address on the link: services inside listening on all addresses are reached here</param>
public sealed record HostLink(string HostDevice, IPAddress HostAddress, IPAddress NamespaceAddress);
