namespace ImagePipeline.Server.Rollouts;

/// <summary>Where a machine of a running wave is, from the boot service's events and the agent's reports.</summary>
public enum MachineOutcome
{
    /// <summary>Asked to deploy (desired image set, power-cycled), nothing heard since.</summary>
    Deploying,
    /// <summary>Its new image reported healthy from inside.</summary>
    Healthy,
    /// <summary>The agent or the image's health check reported a failure.</summary>
    Failed,
}

/// <summary>A machine's outcome, since when, and the reason of a failure.</summary>
public readonly record struct MachineProgress(string MachineId, MachineOutcome Outcome, DateTimeOffset Since, string? Reason = null);
