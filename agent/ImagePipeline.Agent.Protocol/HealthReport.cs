namespace ImagePipeline.Agent.Protocol;

/// <summary>Sent by the agent in report mode, from inside the booted golden image.</summary>
public sealed record HealthReport
{
    public required string ImageId { get; init; }
    public required string Kernel { get; init; }
    public required double BootSeconds { get; init; }
    public required IReadOnlyList<string> FailedUnits { get; init; }
    public required IReadOnlyList<HealthCheckResult> Checks { get; init; }
    /// <summary>The root was opened through dm-verity (its check is among <see cref="Checks"/>).</summary>
    public bool RootVerity { get; init; }
    /// <summary>On a disk with A/B slots: the slot this system booted from.</summary>
    public string? Slot { get; init; }
    /// <summary>The image a trial boot of the other slot was to run, when that trial failed and the machine is back on this slot.</summary>
    public string? FellBackFrom { get; init; }
}

public sealed record HealthCheckResult(string Name, bool Passed, string? Detail);

/// <summary>The machine's state after the report, so the agent can stop retrying.</summary>
public sealed record HealthAcknowledgement(string State, IReadOnlyList<string> Reasons)
{
    /// <summary>How often the agent of a running image with A/B slots asks for an in-place update; null: it does not ask.</summary>
    public int? UpdateCheckSeconds { get; init; }
}
