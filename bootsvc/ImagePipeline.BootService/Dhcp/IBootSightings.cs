using System.Net;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>Told about every network-boot client the DHCP server answered (the inventory records address and firmware).</summary>
public interface IBootSightings
{
    Task RecordAsync(string mac, IPAddress? address, BootClient client, CancellationToken cancellationToken);
}
