using System.Net;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>
/// Which address each MAC gets. A MAC keeps its address for as long as nobody else needed it
/// (expired leases are reused last), an offer holds an address for a minute, and a declined
/// address (RFC 2131 §3.1.5: someone else answers ARP for it) is skipped for ten minutes.
/// Not thread-safe: the full-mode responder serialises requests.
/// </summary>
public sealed class AddressPool
{
    private static readonly TimeSpan OfferHold = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan DeclineHold = TimeSpan.FromMinutes(10);

    private readonly AddressRange range;
    private readonly ILeaseStore store;
    private readonly TimeProvider clock;
    private readonly Dictionary<string, Lease> byMac = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, string> byAddress = [];
    private readonly Dictionary<string, (IPAddress Address, DateTimeOffset Until)> offers = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, string> offeredTo = [];
    private readonly Dictionary<IPAddress, DateTimeOffset> declined = [];
    private readonly HashSet<IPAddress> excluded;

    private AddressPool(AddressRange range, IEnumerable<IPAddress> excluded, ILeaseStore store, TimeProvider clock)
    {
        this.range = range;
        this.store = store;
        this.clock = clock;
        this.excluded = [.. excluded];
    }

    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromHours(1);

    public AddressRange Range => range;

    /// <param name="excluded">addresses inside the range that are taken already (the server's own)</param>
    public static async Task<AddressPool> LoadAsync(AddressRange range, IEnumerable<IPAddress> excluded, ILeaseStore store, TimeProvider clock,
        TimeSpan leaseTime, CancellationToken cancellationToken)
    {
        var pool = new AddressPool(range, excluded, store, clock) { LeaseTime = leaseTime };
        foreach (var lease in await store.LoadLeasesAsync(cancellationToken))
        {
            if (!range.Contains(lease.Address) || pool.byAddress.ContainsKey(lease.Address))
                continue;
            pool.byMac[lease.Mac] = lease;
            pool.byAddress[lease.Address] = lease.Mac;
        }

        return pool;
    }

    public Lease? LeaseOf(string mac) => byMac.GetValueOrDefault(mac);

    /// <summary>The address to offer: this MAC's current or last address, the one it asked for if free, else a fresh one. Null when the pool is exhausted.</summary>
    public IPAddress? Offer(string mac, IPAddress? requested)
    {
        var now = clock.GetUtcNow();
        var address = byMac.TryGetValue(mac, out var known) && IsAvailableTo(mac, known.Address, now) ? known.Address
            : offers.TryGetValue(mac, out var offered) && IsAvailableTo(mac, offered.Address, now) ? offered.Address
            : requested is not null && IsAvailableTo(mac, requested, now) ? requested
            : FreeAddress(now);
        if (address is not null)
        {
            ForgetOffer(mac);
            offers[mac] = (address, now + OfferHold);
            offeredTo[address] = mac;
        }

        return address;
    }

    /// <summary>Whether <paramref name="mac"/> may hold <paramref name="address"/> (a REQUEST's check).</summary>
    public bool CanLease(string mac, IPAddress address) => IsAvailableTo(mac, address, clock.GetUtcNow());

    /// <summary>The address offered to <paramref name="mac"/> and not yet taken or expired, if any.</summary>
    public IPAddress? OfferedTo(string mac) =>
        offers.TryGetValue(mac, out var offer) && offer.Until > clock.GetUtcNow() ? offer.Address : null;

    /// <summary>Binds the address and saves the lease; only then may the ACK go out.</summary>
    public async Task<Lease> CommitAsync(string mac, IPAddress address, string? hostName, CancellationToken cancellationToken)
    {
        if (!CanLease(mac, address))
            throw new InvalidOperationException($"{address} is not available to {mac}");
        var lease = new Lease(mac, address, clock.GetUtcNow() + LeaseTime, hostName);
        await store.SaveLeaseAsync(lease, cancellationToken);
        if (byMac.TryGetValue(mac, out var previous) && !previous.Address.Equals(address))
            byAddress.Remove(previous.Address);
        if (byAddress.TryGetValue(address, out var previousOwner) && previousOwner != mac)
            byMac.Remove(previousOwner);
        byMac[mac] = lease;
        byAddress[address] = mac;
        ForgetOffer(mac);
        return lease;
    }

    /// <summary>RELEASE: the lease ends now, but the MAC keeps first claim on the address.</summary>
    public async Task ReleaseAsync(string mac, IPAddress address, CancellationToken cancellationToken)
    {
        if (byMac.TryGetValue(mac, out var lease) && lease.Address.Equals(address))
        {
            lease = lease with { ExpiresAt = clock.GetUtcNow() };
            byMac[mac] = lease;
            await store.SaveLeaseAsync(lease, cancellationToken);
        }
    }

    public void Decline(string mac, IPAddress address)
    {
        if (!range.Contains(address))
            return;
        declined[address] = clock.GetUtcNow() + DeclineHold;
        ForgetOffer(mac);
    }

    public void ForgetOffer(string mac)
    {
        if (offers.Remove(mac, out var offer) && offeredTo.TryGetValue(offer.Address, out var owner) && owner == mac)
            offeredTo.Remove(offer.Address);
    }

    private IPAddress? OldestOffer()
    {
        if (offers.Count == 0)
            return null;
        var (mac, offer) = offers.MinBy(o => o.Value.Until);
        ForgetOffer(mac);
        return offer.Address;
    }

    private bool IsOfferedToAnother(string mac, IPAddress address, DateTimeOffset now) =>
        offeredTo.TryGetValue(address, out var other) && other != mac && offers[other].Until > now;

    private bool IsAvailableTo(string mac, IPAddress address, DateTimeOffset now)
    {
        if (!range.Contains(address) || excluded.Contains(address))
            return false;
        if (declined.TryGetValue(address, out var until) && until > now)
            return false;
        if (byAddress.TryGetValue(address, out var owner) && owner != mac && byMac[owner].ExpiresAt > now)
            return false;
        return !IsOfferedToAnother(mac, address, now);
    }

    private IPAddress? FreeAddress(DateTimeOffset now)
    {
        // Never-leased addresses first, so expired leases stay with their owners as long as possible.
        IPAddress? expired = null;
        foreach (var address in range.Addresses())
        {
            if (excluded.Contains(address) || (declined.TryGetValue(address, out var until) && until > now))
                continue;
            if (IsOfferedToAnother("", address, now))
                continue;
            if (!byAddress.TryGetValue(address, out var owner))
                return address;
            if (expired is null && byMac[owner].ExpiresAt <= now)
                expired = address;
        }

        // Exhausted: offers are only tentative (RFC 2131 §4.3.1), so the oldest one gives way. A
        // flood of DISCOVERs from invented MACs then cannot lock real clients out for a minute.
        return expired ?? OldestOffer();
    }
}
