namespace ImagePipeline.Recipes;

/// <summary>A file placed into the root filesystem: inline <see cref="Content"/> or a <see cref="SourcePath"/> next to the recipe.</summary>
public sealed record RecipeFile(string Path, string? Content, string? SourcePath, int Mode)
{
    /// <summary>The bytes to write; a source file is read at the moment of the call.</summary>
    public byte[] ReadBytes() => SourcePath is null
        ? System.Text.Encoding.UTF8.GetBytes(Content ?? "")
        : File.ReadAllBytes(SourcePath);
}
