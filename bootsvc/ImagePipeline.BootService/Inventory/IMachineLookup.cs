using System.Net;
using ImagePipeline.BootService.Contract;

namespace ImagePipeline.BootService.Inventory;

/// <summary>The narrow read side the boot paths depend on: find a machine by the MAC it boots from, or by its address.</summary>
public interface IMachineLookup
{
    Task<MachineRecord?> GetByMacAsync(string mac, CancellationToken cancellationToken);

    Task<MachineRecord?> GetByAddressAsync(IPAddress address, CancellationToken cancellationToken);
}
