using System.Net;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>Told about every network-boot client the DHCP server answered (the inventory records address and firmware).</summary>
public interface IBootSightings
{
    /// <param name="acknowledged">the answer was a DHCPACK (the client has its address now), not an offer</param>
    Task RecordAsync(string mac, IPAddress? address, BootClient client, bool acknowledged, CancellationToken cancellationToken);
}
