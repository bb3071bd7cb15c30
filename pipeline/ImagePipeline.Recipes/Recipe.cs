namespace ImagePipeline.Recipes;

/// <summary>One golden image as an operator describes it in git. Immutable once linted.</summary>
public sealed record Recipe
{
    public required string Name { get; init; }
    public required ImageBase Base { get; init; }
    /// <summary>Debian kernel package, for example <c>linux-image-amd64</c>.</summary>
    public required string Kernel { get; init; }
    public IReadOnlyList<string> Packages { get; init; } = [];
    public IReadOnlyList<RecipeFile> Files { get; init; } = [];
    public IReadOnlyList<string> Commands { get; init; } = [];
    /// <summary>Extra kernel arguments, appended after the ones the builder needs (root, console).</summary>
    public string Cmdline { get; init; } = "";
    public required DiskSpec Disk { get; init; }
    public IReadOnlyList<BootMode> Boot { get; init; } = [BootMode.Uefi, BootMode.Bios];
    /// <summary>Formats exported beside the raw disk, its zstd stream and its qcow2.</summary>
    public IReadOnlyList<ExportFormat> Formats { get; init; } = [];
    /// <summary>A snapshot.debian.org timestamp (for example 20250520T000000Z) that pins the base; without it the base is rebuilt daily.</summary>
    public string? Snapshot { get; init; }
    /// <summary>The recipe's <c>validate</c> section, kept as written for the validation harness.</summary>
    public RecipeSection? Validate { get; init; }
    /// <summary>The recipe's <c>rollout</c> section, kept as written for the rollout controller.</summary>
    public RecipeSection? Rollout { get; init; }

    /// <summary>Absolute path of the YAML file this recipe came from.</summary>
    public required string SourcePath { get; init; }
    /// <summary>SHA-256 of the YAML file's bytes.</summary>
    public required string SourceDigest { get; init; }
}
