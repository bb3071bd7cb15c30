using System.Net;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Redfish;
using ImagePipeline.Server.Fleet;
using ImagePipeline.Server.State;

namespace ImagePipeline.Server.Rollouts;

/// <summary>
/// The production link: the boot service's operator API (<c>--boot-service</c>, its admin token)
/// for desired images, machine state as its event feed reports it (<see cref="BootServiceFeed"/>:
/// one cursor, no question per machine), and Redfish for power, with each machine's own BMC and
/// credentials. Nothing else touches a machine.
/// </summary>
public sealed class BootServiceFleetLink(ServerOptions options, IHttpClientFactory clients, BmcPasswords bmcPasswords, BootServiceFeed feed) : IFleetLink
{
    private BootServiceClient BootService() => ConfiguredBootService.From(options, clients)
        ?? throw new InvalidOperationException("no boot service: start the server with --boot-service URL (and --boot-service-token or IMAGEPIPE_BOOTSVC_TOKEN)");

    public async Task<MachineObservation?> ObserveAsync(Machine machine, CancellationToken cancellationToken) =>
        await feed.MachineAsync(machine.Mac, cancellationToken) is { } seen ? new MachineObservation(seen.State, seen.CurrentImage, seen.UpdatedAt, seen.LastError, seen.Slot) : null;

    public Task<DeploymentEnd?> DeploymentEndAsync(Machine machine, string imageId, DateTimeOffset since, CancellationToken cancellationToken) =>
        feed.DeploymentEndAsync(machine.Mac, imageId, since, cancellationToken);

    public async Task DeployAsync(Machine machine, string imageId, bool inPlace, CancellationToken cancellationToken)
    {
        try
        {
            await BootService().SetDesiredImageAsync(machine.Mac, imageId, cancellationToken, inPlace ? DeployModes.InPlace : null);
        }
        catch (Exception e) when (BootServiceUnreachableException.IsUnreachable(e, cancellationToken))
        {
            throw new BootServiceUnreachableException(options.BootServiceUrl, e);
        }

        // In place: the machine's agent asks the boot service on its own; nothing to power-cycle.
        if (inPlace)
            return;

        var credentials = machine.BmcUser is null ? null : new NetworkCredential(machine.BmcUser, bmcPasswords.Open(machine.BmcPassword));
        var redfish = new RedfishClient(clients.CreateClient("redfish"), new Uri(machine.BmcUrl), credentials);
        try
        {
            await redfish.NetbootOnceAsync(machine.BmcSystem, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // This machine's BMC, not the fleet: the machine fails, the others go on.
            throw new RedfishException($"the BMC at {machine.BmcUrl} did not answer: {e.Message}", inner: e);
        }
    }
}
