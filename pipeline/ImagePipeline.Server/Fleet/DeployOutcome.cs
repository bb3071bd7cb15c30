namespace ImagePipeline.Server.Fleet;

/// <summary>How one machine's deployment ended: healthy on the image, failed with the boot service's reason, or timed out in some state.</summary>
public sealed record DeployOutcome(string Name, string Mac, bool Healthy, string State, string? Error, double Seconds, IReadOnlyList<PhaseTiming> Phases);
