namespace ImagePipeline.Recipes;

/// <summary>
/// A file placed into the root filesystem: inline <see cref="Content"/>, or a <see cref="SourcePath"/>
/// from the recipe's repository. A source is read confined to <see cref="SourceRoot"/> (the
/// repository): a symlink or '..' that leads out of it is refused at reading, not only at linting.
/// </summary>
public sealed record RecipeFile(string Path, string? Content, string? SourcePath, int Mode, string? SourceRoot = null)
{
    /// <summary>The largest source file copied into an image.</summary>
    public const long MaxSourceBytes = 1L << 30;

    /// <summary>The bytes to write; a source file is read at the moment of the call.</summary>
    public byte[] ReadBytes()
    {
        if (SourcePath is null)
            return System.Text.Encoding.UTF8.GetBytes(Content ?? "");
        var root = SourceRoot ?? System.IO.Path.GetDirectoryName(SourcePath)!;
        return ConfinedFile.ReadAllBytes(root, System.IO.Path.GetRelativePath(root, SourcePath), ConfinedResolve.Beneath, MaxSourceBytes);
    }
}
