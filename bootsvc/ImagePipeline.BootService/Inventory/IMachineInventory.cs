using System.Net;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.BootService.Contract;

namespace ImagePipeline.BootService.Inventory;

/// <summary>The machine inventory: lookups, state changes through <see cref="MachineLifecycle"/>, tokens and history.</summary>
public interface IMachineInventory : IMachineLookup
{
    Task<IReadOnlyList<MachineRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The machines booting an image without our agent that they wrote: the ones the boot service's probes are to tell healthy.</summary>
    Task<IReadOnlyList<MachineRecord>> AwaitingProbesAsync(CancellationToken cancellationToken);

    /// <summary>Creates the machine in <see cref="MachineState.Discovered"/>, or returns it if it exists.</summary>
    Task<MachineRecord> DiscoverAsync(string mac, CancellationToken cancellationToken);

    /// <summary>Moves a machine to a new state; throws <see cref="InvalidTransitionException"/> when the lifecycle forbids it.</summary>
    Task<MachineRecord> TransitionAsync(string mac, MachineState target, string reason, Func<MachineRecord, MachineRecord>? change, CancellationToken cancellationToken);

    /// <summary>Changes fields without a state change (address, facts, desired image), with an event.</summary>
    Task<MachineRecord> UpdateAsync(string mac, string eventKind, string detail, Func<MachineRecord, MachineRecord> change, CancellationToken cancellationToken);

    Task RecordAddressAsync(string mac, IPAddress? address, string? firmware, CancellationToken cancellationToken);

    /// <summary>Issues a fresh agent token for the machine (the previous one stops working), usable only from <paramref name="boundTo"/> when given, and returns it.</summary>
    Task<string> IssueTokenAsync(string mac, IPAddress? boundTo, CancellationToken cancellationToken);

    /// <summary>The machine a token belongs to, when the call comes from the address it was issued to; else null.</summary>
    Task<MachineRecord?> AuthenticateAsync(string token, IPAddress? from, CancellationToken cancellationToken);

    Task<IReadOnlyList<MachineEvent>> EventsAsync(string mac, CancellationToken cancellationToken);

    /// <summary>The whole fleet's events after <paramref name="cursor"/>, oldest first, at most <paramref name="limit"/>, without a gap; with the machines they are about as they are now.</summary>
    /// <exception cref="EventCursorLostException">the log no longer reaches the cursor (retention), or never did (another database)</exception>
    Task<EventFeedPage> EventsAfterAsync(long cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Every machine and the event cursor they are as of.</summary>
    Task<FleetSnapshot> SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>Completes when the next event is written (from the moment it is read: read it before looking for events, so none is missed).</summary>
    Task NextEventWritten { get; }

    /// <summary>
    /// Sets what the machine should run: the next network boot deploys it, or with <paramref name="mode"/> in-place its running system's agent does;
    /// with <paramref name="health"/>, the image has no agent of ours and is healthy once those probes pass from outside.
    /// </summary>
    Task<MachineRecord> SetDesiredImageAsync(string mac, string imageId, CancellationToken cancellationToken, string? mode = null, IReadOnlyList<HealthProbe>? health = null);

    /// <summary>Sets the desired images of many machines (discovering the unknown ones) in one transaction: all, or none.</summary>
    Task<IReadOnlyList<MachineRecord>> SetDesiredImagesAsync(IReadOnlyList<DesiredImageEntry> machines, CancellationToken cancellationToken);
}
