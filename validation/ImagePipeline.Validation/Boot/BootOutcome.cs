namespace ImagePipeline.Validation.Boot;

/// <summary>How a boot ended: the marker seen (and when), or not, with the console as evidence.</summary>
public sealed record BootOutcome(bool ReachedMarker, TimeSpan Elapsed, string Console, string? Failure);
