using System.Net;
using ImagePipeline.BootService.Network;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>
/// Full mode: the only DHCP server on its network (the lab, a provisioning VLAN). Hands out
/// addresses from its pool (RFC 2131 §4.3) and boot files to network-boot clients. Requests are
/// handled one at a time: each is a few dictionary lookups, plus one database write per ACK.
/// </summary>
public sealed class FullDhcpResponder(AddressPool pool, DhcpNetwork network, BootFilePlanner planner) : IDhcpResponder, IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);

    private IPAddress ServerAddress => planner.Endpoints.ServerAddress;

    public async Task<DhcpMessage?> RespondAsync(DhcpMessage request, BootClient client, bool onPxePort, CancellationToken cancellationToken)
    {
        if (onPxePort || request.Op != DhcpMessage.BootRequest)
            return null;
        var mac = MacAddress.Format(request.ClientMac);
        await gate.WaitAsync(cancellationToken);
        try
        {
            return request.MessageType switch
            {
                DhcpMessageType.Discover => Discover(request, client, mac),
                DhcpMessageType.Request => await RequestAsync(request, client, mac, cancellationToken),
                DhcpMessageType.Release => await ReleaseAsync(request, mac, cancellationToken),
                DhcpMessageType.Decline => Decline(request, mac),
                DhcpMessageType.Inform => Inform(request, client),
                _ => null,
            };
        }
        finally
        {
            gate.Release();
        }
    }

    private DhcpMessage? Discover(DhcpMessage request, BootClient client, string mac)
    {
        var address = pool.Offer(mac, request.Options.GetAddress(DhcpOptionCode.RequestedIpAddress));
        if (address is null)
            return null;
        var offer = request.CreateReply(DhcpMessageType.Offer);
        offer.YourAddress = address;
        AddNetworkOptions(offer, withLease: true);
        planner.Apply(request, client, offer, proxy: false);
        return offer;
    }

    private async Task<DhcpMessage?> RequestAsync(DhcpMessage request, BootClient client, string mac, CancellationToken cancellationToken)
    {
        var serverId = request.Options.GetAddress(DhcpOptionCode.ServerIdentifier);
        if (serverId is not null && !serverId.Equals(ServerAddress))
        {
            // SELECTING state, and the client chose another server's offer (RFC 2131 §4.3.2).
            pool.ForgetOffer(mac);
            return null;
        }

        var requested = request.Options.GetAddress(DhcpOptionCode.RequestedIpAddress)
            ?? (request.ClientAddress.Equals(IPAddress.Any) ? null : request.ClientAddress);
        if (requested is null)
            return Nak(request, "no address requested");
        if (serverId is not null)
        {
            // SELECTING: the address must be the one we offered this client (RFC 2131 §4.3.2).
            if (!requested.Equals(pool.OfferedTo(mac)) && !requested.Equals(pool.LeaseOf(mac)?.Address))
                return Nak(request, $"{requested} was not offered to {mac}; start again with DISCOVER");
        }
        else if (!InSubnet(requested))
        {
            // INIT-REBOOT or renewing with an address from another network.
            return Nak(request, $"{requested} is not on this network");
        }
        else if (!requested.Equals(pool.LeaseOf(mac)?.Address))
        {
            // INIT-REBOOT, RENEWING or REBINDING for a lease we have no record of: RFC 2131 §4.3.2
            // says stay silent; a NAK when the client's recorded address is another one.
            return pool.LeaseOf(mac) is null ? null : Nak(request, $"{mac} holds {pool.LeaseOf(mac)!.Address}, not {requested}");
        }

        if (!pool.CanLease(mac, requested))
            return Nak(request, $"{requested} is not available to {mac}");

        await pool.CommitAsync(mac, requested, request.Options.GetText(DhcpOptionCode.HostName), cancellationToken);
        var ack = request.CreateReply(DhcpMessageType.Ack);
        ack.ClientAddress = request.ClientAddress;
        ack.YourAddress = requested;
        AddNetworkOptions(ack, withLease: true);
        planner.Apply(request, client, ack, proxy: false);
        return ack;
    }

    private DhcpMessage Nak(DhcpMessage request, string reason)
    {
        // Authoritative for this network: a wrong or unavailable address is refused so the client restarts at DISCOVER.
        var nak = request.CreateReply(DhcpMessageType.Nak);
        nak.Options.SetAddress(DhcpOptionCode.ServerIdentifier, ServerAddress);
        nak.Options.SetText(DhcpOptionCode.Message, reason);
        nak.Flags |= DhcpMessage.BroadcastFlag;
        return nak;
    }

    private bool InSubnet(IPAddress address)
    {
        var mask = AddressRange.ToUInt32(network.SubnetMask);
        return (AddressRange.ToUInt32(address) & mask) == (AddressRange.ToUInt32(ServerAddress) & mask);
    }

    private async Task<DhcpMessage?> ReleaseAsync(DhcpMessage request, string mac, CancellationToken cancellationToken)
    {
        await pool.ReleaseAsync(mac, request.ClientAddress, cancellationToken);
        return null;
    }

    private DhcpMessage? Decline(DhcpMessage request, string mac)
    {
        if (request.Options.GetAddress(DhcpOptionCode.RequestedIpAddress) is { } address)
            pool.Decline(mac, address);
        return null;
    }

    private DhcpMessage Inform(DhcpMessage request, BootClient client)
    {
        // RFC 2131 §3.4: configuration only; no yiaddr and no lease time.
        var ack = request.CreateReply(DhcpMessageType.Ack);
        ack.ClientAddress = request.ClientAddress;
        AddNetworkOptions(ack, withLease: false);
        planner.Apply(request, client, ack, proxy: false);
        return ack;
    }

    private void AddNetworkOptions(DhcpMessage reply, bool withLease)
    {
        reply.Options.SetAddress(DhcpOptionCode.ServerIdentifier, ServerAddress);
        if (withLease)
        {
            var seconds = (uint)network.LeaseTime.TotalSeconds;
            reply.Options.SetUInt32(DhcpOptionCode.LeaseTime, seconds);
            reply.Options.SetUInt32(DhcpOptionCode.RenewalTime, seconds / 2);
            reply.Options.SetUInt32(DhcpOptionCode.RebindingTime, seconds / 8 * 7);
        }

        reply.Options.SetAddress(DhcpOptionCode.SubnetMask, network.SubnetMask);
        if (network.Router is not null)
            reply.Options.SetAddress(DhcpOptionCode.Router, network.Router);
        if (network.DnsServers.Count > 0)
            reply.Options.SetAddresses(DhcpOptionCode.DomainNameServer, network.DnsServers);
    }

    public void Dispose() => gate.Dispose();
}
