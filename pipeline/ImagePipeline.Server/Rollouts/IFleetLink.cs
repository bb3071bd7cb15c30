using ImagePipeline.Server.State;

namespace ImagePipeline.Server.Rollouts;

/// <summary>What the boot service says about a machine: its state (Healthy, Failed, Deploying, ...), what it runs, since when, and its last error.</summary>
public sealed record MachineObservation(string State, string? CurrentImage, DateTimeOffset UpdatedAt, string? LastError);

/// <summary>How the rollout controller reaches machines: the boot service (desired image, state) and each machine's BMC (power).</summary>
public interface IFleetLink
{
    /// <summary>What the boot service knows of the machine, or null when it has never seen it.</summary>
    Task<MachineObservation?> ObserveAsync(Machine machine, CancellationToken cancellationToken);

    /// <summary>
    /// How the machine's deployment since <paramref name="since"/> ended: its last healthy or failed
    /// event after that moment (a state left over from before — a failed image being replaced —
    /// does not count), or null while it is still on its way.
    /// </summary>
    Task<MachineObservation?> OutcomeSinceAsync(Machine machine, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>The machine's desired image is set, then its BMC network-boots it once with a power cycle.</summary>
    Task DeployAsync(Machine machine, string imageId, CancellationToken cancellationToken);
}
