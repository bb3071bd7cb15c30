namespace ImagePipeline.Server.Sources;

/// <summary>A recipe file found in a source at a commit: its path and name, or why it does not lint.</summary>
public sealed record DiscoveredRecipe(string Path, string? Name, string? Error);
