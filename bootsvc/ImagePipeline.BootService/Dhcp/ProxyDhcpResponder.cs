namespace ImagePipeline.BootService.Dhcp;

/// <summary>
/// ProxyDHCP (PXE 2.1 §2.2.5): runs beside the network's own DHCP server, hands out no address,
/// and answers only clients that boot from the network. A DISCOVER on port 67 gets an OFFER with
/// yiaddr 0 and the boot file; a REQUEST on port 4011 (a client asking the proxy directly) gets an
/// ACK with the same. Everything else on port 67 belongs to the real DHCP server and is ignored.
/// </summary>
public sealed class ProxyDhcpResponder(BootFilePlanner planner) : IDhcpResponder
{
    public Task<DhcpMessage?> RespondAsync(DhcpMessage request, BootClient client, bool onPxePort, CancellationToken cancellationToken)
    {
        if (request.Op != DhcpMessage.BootRequest || !client.IsNetworkBoot || client.Kind == BootClientKind.Unsupported)
            return Task.FromResult<DhcpMessage?>(null);
        var type = (request.MessageType, onPxePort) switch
        {
            (DhcpMessageType.Discover, false) => DhcpMessageType.Offer,
            // iPXE and some ROMs also send their REQUEST to 67 with our server id when they took the proxy offer's file.
            (DhcpMessageType.Request, true) => DhcpMessageType.Ack,
            (DhcpMessageType.Inform, true) => DhcpMessageType.Ack,
            _ => (DhcpMessageType?)null,
        };
        if (type is null)
            return Task.FromResult<DhcpMessage?>(null);
        var reply = request.CreateReply(type.Value);
        reply.ClientAddress = request.ClientAddress;
        reply.Options.SetAddress(DhcpOptionCode.ServerIdentifier, planner.Endpoints.ServerAddress);
        planner.Apply(request, client, reply, proxy: true);
        return Task.FromResult<DhcpMessage?>(reply);
    }
}
