using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using ImagePipeline.BootService.Dhcp;

namespace ImagePipeline.BootService.Hosting;

/// <summary>The boot network as the service sees it: its own address, the subnet, the pool.</summary>
public sealed record BootNetwork(IPAddress ServerAddress, IPAddress SubnetMask, AddressRange? Pool)
{
    /// <summary>Reads the interface's IPv4 address and prefix and fills in what the options leave open.</summary>
    public static BootNetwork Resolve(BootServiceOptions options)
    {
        if (options.Interface is null)
        {
            if (options.Mode != BootMode.HttpOnly)
                throw new InvalidOperationException("DHCP needs the boot network's interface: pass --interface (for example br0)");
            return new BootNetwork(options.ServerAddress ?? IPAddress.Loopback, IPAddress.Broadcast, null);
        }

        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == options.Interface)
            ?? throw new InvalidOperationException($"no network interface '{options.Interface}'; 'ip -br addr' lists them");
        var unicast = nic.GetIPProperties().UnicastAddresses
            .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
            .FirstOrDefault(a => options.ServerAddress is null || a.Address.Equals(options.ServerAddress))
            ?? throw new InvalidOperationException(options.ServerAddress is null
                ? $"interface {options.Interface} has no IPv4 address; give it one (ip addr add 10.0.0.1/24 dev {options.Interface})"
                : $"interface {options.Interface} does not have the address {options.ServerAddress}");
        var prefix = unicast.PrefixLength;
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        var address = AddressRange.ToUInt32(unicast.Address);
        var network = address & mask;
        var broadcast = network | ~mask;
        var pool = options.Pool;
        if (options.Mode == BootMode.Full && pool is null)
        {
            if (prefix > 28)
                throw new InvalidOperationException($"the subnet of {options.Interface} (/{prefix}) is too small for a default pool; pass --pool FIRST-LAST");
            // The upper half of the subnet, without the broadcast address.
            pool = new AddressRange(AddressRange.FromUInt32(network + (~mask + 1) / 2), AddressRange.FromUInt32(broadcast - 1));
        }

        if (pool is not null && options.Mode == BootMode.Full
            && (!InSubnet(pool.First, network, mask) || !InSubnet(pool.Last, network, mask)))
            throw new InvalidOperationException($"the pool {pool} is not inside {options.Interface}'s subnet {AddressRange.FromUInt32(network)}/{prefix}");
        return new BootNetwork(unicast.Address, AddressRange.FromUInt32(mask), pool);
    }

    private static bool InSubnet(IPAddress address, uint network, uint mask) => (AddressRange.ToUInt32(address) & mask) == network;
}
