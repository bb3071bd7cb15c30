namespace ImagePipeline.Builder;

/// <summary>How long a stage took, and whether its output came from the cache.</summary>
public sealed record StageTiming(string Stage, double Seconds, bool Cached);
