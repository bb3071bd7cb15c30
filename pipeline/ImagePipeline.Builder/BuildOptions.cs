namespace ImagePipeline.Builder;

/// <summary>How to run one build.</summary>
public sealed record BuildOptions
{
    /// <summary>The data directory: stage cache under <c>cache/</c>, content-addressed images under <c>artifacts/sha256/</c>, logs under <c>logs/</c>.</summary>
    public required string DataDirectory { get; init; }
    /// <summary>Publish here instead of the artifact store; replaced atomically if it exists.</summary>
    public string? OutputDirectory { get; init; }
    /// <summary>Discard the cached base and fetch a new one from the mirror.</summary>
    public bool Refresh { get; init; }
    /// <summary>Build the disk a second time, bypassing the disk cache, and fail if the bytes differ.</summary>
    public bool VerifyReproducible { get; init; }
    /// <summary>The timestamp of every file in the image. A constant by default, so that the same inputs give the same image on any day.</summary>
    public long SourceDateEpoch { get; init; } = DefaultSourceDateEpoch;

    /// <summary>The NativeAOT agent to install into the image, which reports its health at every boot; none when null.</summary>
    public string? ReportAgent { get; init; }

    /// <summary>2024-01-01T00:00:00Z.</summary>
    public const long DefaultSourceDateEpoch = 1704067200;
}
