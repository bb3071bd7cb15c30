namespace ImagePipeline.Cli.Demo;

/// <summary>A git repository of recipes as the server knows it: the source's name, where the repository is, and the recipe of it a <see cref="LabPipeline"/> runs.</summary>
public sealed record PipelineRecipes(string Name, string Repository, string Recipe);
