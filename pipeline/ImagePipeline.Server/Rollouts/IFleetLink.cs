using ImagePipeline.BootService.Contract;
using ImagePipeline.Server.Fleet;
using ImagePipeline.Server.State;

namespace ImagePipeline.Server.Rollouts;

/// <summary>What the boot service says about a machine: its state, what it runs, since when, and its last error.</summary>
/// <param name="Slot">the A/B slot its running system last reported booting from; null when its image has no slots</param>
public sealed record MachineObservation(MachineState State, string? CurrentImage, DateTimeOffset UpdatedAt, string? LastError, string? Slot = null)
{
    /// <summary>A healthy running system on A/B slots, whose agent can write the next image in place.</summary>
    public bool CanUpdateInPlace => State == MachineState.Healthy && Slot is not null;
}

/// <summary>How the rollout controller reaches machines: the boot service (desired image, state) and each machine's BMC (power).</summary>
public interface IFleetLink
{
    /// <summary>What the boot service knows of the machine, or null when it has never seen it.</summary>
    Task<MachineObservation?> ObserveAsync(Machine machine, CancellationToken cancellationToken);

    /// <summary>How the machine's deployment of <paramref name="imageId"/> begun at <paramref name="since"/> ended (<see cref="DeploymentEnd.Of"/>: the lab follows the same rule), or null while it is on its way.</summary>
    Task<DeploymentEnd?> DeploymentEndAsync(Machine machine, string imageId, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>
    /// The machines' desired image is set, one request (one transaction) per boot service: with
    /// InPlace, the machine's running system's agent writes it (no power cycle), else it waits for
    /// <see cref="PowerCycleIntoDeployAsync"/>.
    /// </summary>
    /// <param name="health">for an image without our agent: the probes its boot service makes from outside to know it healthy</param>
    /// <returns>the machines (by name) not told because their site's boot service is away, and why</returns>
    Task<IReadOnlyDictionary<string, BootServiceUnreachableException>> AssignAsync(IReadOnlyList<(Machine Machine, bool InPlace)> machines, string imageId,
        IReadOnlyList<HealthProbe>? health, CancellationToken cancellationToken);

    /// <summary>The machine's state changes since <paramref name="since"/> (its last few), oldest first: its deployment's phases, for traces.</summary>
    Task<IReadOnlyList<MachineEvent>> ChangesAsync(Machine machine, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>The machine's BMC network-boots it once with a power cycle: into the deploy environment, which writes its desired image.</summary>
    Task PowerCycleIntoDeployAsync(Machine machine, CancellationToken cancellationToken);
}
