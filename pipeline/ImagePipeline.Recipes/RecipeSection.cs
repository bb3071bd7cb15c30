using YamlDotNet.RepresentationModel;

namespace ImagePipeline.Recipes;

/// <summary>A recipe section that a later stage of the pipeline interprets (validation, rollout), kept with its position.</summary>
public sealed record RecipeSection(YamlMappingNode Node, string SourcePath);
