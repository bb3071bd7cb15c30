using System.Net;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Redfish;
using ImagePipeline.Server.Fleet;
using ImagePipeline.Server.State;

namespace ImagePipeline.Server.Rollouts;

/// <summary>
/// The production link: each machine's boot service (its site's, <c>--site</c>, or the default
/// one, <c>--boot-service</c>), through its operator API for desired images and its event feed
/// for machine state (<see cref="BootServiceFeeds"/>: one cursor each, no question per machine),
/// and Redfish for power, with each machine's own BMC and credentials. Nothing else touches a machine.
/// </summary>
public sealed class BootServiceFleetLink(IHttpClientFactory clients, BmcPasswords bmcPasswords, BootServiceFeeds feeds) : IFleetLink
{
    public async Task<MachineObservation?> ObserveAsync(Machine machine, CancellationToken cancellationToken) =>
        await feeds.For(machine).MachineAsync(machine.Mac, cancellationToken) is { } seen
            ? new MachineObservation(seen.State, seen.CurrentImage, seen.UpdatedAt, seen.LastError, seen.Slot) : null;

    public Task<DeploymentEnd?> DeploymentEndAsync(Machine machine, string imageId, DateTimeOffset since, CancellationToken cancellationToken) =>
        feeds.For(machine).DeploymentEndAsync(machine.Mac, imageId, since, cancellationToken);

    public Task<IReadOnlyList<MachineEvent>> ChangesAsync(Machine machine, DateTimeOffset since, CancellationToken cancellationToken) =>
        feeds.For(machine).ChangesAsync(machine.Mac, since, cancellationToken);

    public async Task<IReadOnlyDictionary<string, BootServiceUnreachableException>> AssignAsync(IReadOnlyList<(Machine Machine, bool InPlace)> machines, string imageId,
        IReadOnlyList<HealthProbe>? health, CancellationToken cancellationToken)
    {
        var away = new Dictionary<string, BootServiceUnreachableException>(StringComparer.Ordinal);
        foreach (var group in machines.GroupBy(m => feeds.For(m.Machine).Site))
        {
            var site = group.Key;
            try
            {
                await ConfiguredBootService.Client(site, clients).SetDesiredImagesAsync(
                    [.. group.Select(m => new DesiredImageEntry(m.Machine.Mac, imageId, m.InPlace ? DeployModes.InPlace : null, health))], cancellationToken);
            }
            catch (Exception e) when (BootServiceUnreachableException.IsUnreachable(e, cancellationToken))
            {
                var unreachable = new BootServiceUnreachableException(site.Url, e, site.Site);
                foreach (var (machine, _) in group)
                    away[machine.Name] = unreachable;
            }
        }

        return away;
    }

    public async Task PowerCycleIntoDeployAsync(Machine machine, CancellationToken cancellationToken)
    {
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
