using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder;

/// <summary>What every stage of one build shares: the recipe, the tools, the cache and the clock.</summary>
public sealed class BuildContext
{
    public required Recipe Recipe { get; init; }
    public required BuildLog Log { get; init; }
    public required ToolRunner Tools { get; init; }
    public required StageCache Cache { get; init; }
    public required IBuildObserver Observer { get; init; }
    /// <summary>The timestamp every file in the image carries (SOURCE_DATE_EPOCH).</summary>
    public required long SourceDateEpoch { get; init; }
    /// <summary>The day the Debian base is keyed on when the recipe pins no snapshot (UTC, yyyy-MM-dd).</summary>
    public required string BaseDay { get; init; }
    public CancellationToken CancellationToken { get; init; }
    /// <summary>The agent binary to install for health reports, or null.</summary>
    public string? ReportAgent { get; init; }
    /// <summary>Where the disk's chunks go (<see cref="ArtifactStore.ArtifactStoreLayout.ChunkStore"/>).</summary>
    public required string ChunkStore { get; init; }

    public Task<string> RunAsync(string stage, string program, params string[] arguments) =>
        Tools.RunAsync(stage, program, arguments, CancellationToken);

    public Dictionary<string, string?> ReproducibleEnvironment() => new()
    {
        ["SOURCE_DATE_EPOCH"] = SourceDateEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["E2FSPROGS_FAKE_TIME"] = SourceDateEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["TZ"] = "UTC",
        ["LC_ALL"] = "C",
    };
}
