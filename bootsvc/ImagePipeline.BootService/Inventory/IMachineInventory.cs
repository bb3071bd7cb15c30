using System.Net;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.BootService.Inventory;

/// <summary>The machine inventory: lookups, state changes through <see cref="MachineLifecycle"/>, tokens and history.</summary>
public interface IMachineInventory : IMachineLookup
{
    Task<IReadOnlyList<Machine>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Creates the machine in <see cref="MachineState.Discovered"/>, or returns it if it exists.</summary>
    Task<Machine> DiscoverAsync(string mac, CancellationToken cancellationToken);

    /// <summary>Moves a machine to a new state; throws <see cref="InvalidTransitionException"/> when the lifecycle forbids it.</summary>
    Task<Machine> TransitionAsync(string mac, MachineState target, string reason, Func<Machine, Machine>? change, CancellationToken cancellationToken);

    /// <summary>Changes fields without a state change (address, facts, desired image), with an event.</summary>
    Task<Machine> UpdateAsync(string mac, string eventKind, string detail, Func<Machine, Machine> change, CancellationToken cancellationToken);

    Task RecordAddressAsync(string mac, IPAddress? address, string? firmware, CancellationToken cancellationToken);

    /// <summary>Issues a fresh agent token for the machine (the previous one stops working), usable only from <paramref name="boundTo"/> when given, and returns it.</summary>
    Task<string> IssueTokenAsync(string mac, IPAddress? boundTo, CancellationToken cancellationToken);

    /// <summary>The machine a token belongs to, when the call comes from the address it was issued to; else null.</summary>
    Task<Machine?> AuthenticateAsync(string token, IPAddress? from, CancellationToken cancellationToken);

    Task<IReadOnlyList<MachineEvent>> EventsAsync(string mac, CancellationToken cancellationToken);

    /// <summary>Sets what the machine should run; the next network boot deploys it.</summary>
    Task<Machine> SetDesiredImageAsync(string mac, string imageId, CancellationToken cancellationToken);
}
