namespace ImagePipeline.Recipes;

/// <summary>The recipe cannot be built as written. <see cref="Errors"/> holds every problem found, not only the first.</summary>
public sealed class RecipeLintException : Exception
{
    public RecipeLintException(IReadOnlyList<RecipeError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public RecipeLintException()
        : this([])
    {
    }

    public RecipeLintException(string message)
        : base(message)
    {
        Errors = [];
    }

    public RecipeLintException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    public IReadOnlyList<RecipeError> Errors { get; } = [];
}
