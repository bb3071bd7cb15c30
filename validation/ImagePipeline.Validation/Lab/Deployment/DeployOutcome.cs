using ImagePipeline.BootService.Contract;

namespace ImagePipeline.Validation.Lab.Deployment;

/// <summary>How one machine's deployment ended: healthy on the image, failed with the boot service's reason, or timed out in some state (null: the boot service never saw it).</summary>
public sealed record DeployOutcome(string Name, string Mac, bool Healthy, MachineState? State, string? Error, double Seconds, IReadOnlyList<PhaseTiming> Phases);
