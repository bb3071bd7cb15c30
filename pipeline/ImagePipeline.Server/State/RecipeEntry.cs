namespace ImagePipeline.Server.State;

/// <summary>
/// One recipe file in a source's repository, or (no source) the name images built elsewhere are
/// imported under: its <see cref="ImportChecks"/> stand where a recipe's validate section does.
/// </summary>
public sealed class RecipeEntry
{
    public long Id { get; set; }
    /// <summary>Null for an imported image's name.</summary>
    public long? SourceId { get; set; }
    public RecipeSource? Source { get; set; }
    /// <summary>Relative to the repository root, with forward slashes; empty for an imported image's name.</summary>
    public required string Path { get; set; }
    /// <summary>The recipe's own name (its image name): unique across sources.</summary>
    public required string Name { get; set; }
    /// <summary>When the nightly rebuild runs (cron, five fields); null uses the server's default.</summary>
    public string? NightlyCron { get; set; }
    /// <summary>The time zone the cron is read in (IANA id), UTC when null.</summary>
    public string? TimeZone { get; set; }
    /// <summary>
    /// An imported image's name: the validate section (YAML) each upload under it is validated by;
    /// its tcp/http checks are also how its machines are known healthy (no agent of ours inside).
    /// </summary>
    public string? ImportChecks { get; set; }

    /// <summary>Images under this name are imported, not built from a source.</summary>
    public bool Imported => SourceId is null;
}
