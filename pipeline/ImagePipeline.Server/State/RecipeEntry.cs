namespace ImagePipeline.Server.State;

/// <summary>One recipe file in a source's repository.</summary>
public sealed class RecipeEntry
{
    public long Id { get; set; }
    public long SourceId { get; set; }
    public RecipeSource? Source { get; set; }
    /// <summary>Relative to the repository root, with forward slashes.</summary>
    public required string Path { get; set; }
    /// <summary>The recipe's own name (its image name): unique across sources.</summary>
    public required string Name { get; set; }
    /// <summary>When the nightly rebuild runs (cron, five fields); null uses the server's default.</summary>
    public string? NightlyCron { get; set; }
    /// <summary>The time zone the cron is read in (IANA id), UTC when null.</summary>
    public string? TimeZone { get; set; }
}
