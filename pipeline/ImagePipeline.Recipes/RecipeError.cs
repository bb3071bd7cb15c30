namespace ImagePipeline.Recipes;

/// <summary>One problem found in a recipe, positioned so an editor can jump to it, with the fix in words.</summary>
public sealed record RecipeError(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: error: {Message}";
}
