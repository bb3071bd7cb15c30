namespace ImagePipeline.Validation.Lab.Deployment;

/// <summary>How long one phase of a machine's deployment took.</summary>
public sealed record PhaseTiming(string Phase, double Seconds, string? Detail = null);
