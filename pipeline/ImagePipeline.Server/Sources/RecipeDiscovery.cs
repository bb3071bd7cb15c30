using System.Text.RegularExpressions;
using ImagePipeline.Recipes;

namespace ImagePipeline.Server.Sources;

/// <summary>
/// Finds the recipes in a source's tree: every .yaml or .yml file with a top-level <c>base:</c>
/// key is meant as a recipe, and is linted; other YAML (CI files, profiles) is left alone.
/// </summary>
public static partial class RecipeDiscovery
{
    /// <param name="tree">the commit's tree, exported (recipes name files relative to themselves, which lint reads)</param>
    public static IReadOnlyList<DiscoveredRecipe> Find(string tree)
    {
        var found = new List<DiscoveredRecipe>();
        foreach (var file in Directory.EnumerateFiles(tree, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (!file.EndsWith(".yaml", StringComparison.Ordinal) && !file.EndsWith(".yml", StringComparison.Ordinal))
                continue;
            var path = Path.GetRelativePath(tree, file).Replace('\\', '/');
            if (path.StartsWith(".git/", StringComparison.Ordinal))
                continue;
            if (new FileInfo(file).Length > RecipeParser.MaxBytes)
            {
                // Not read whole to learn whether it is a recipe: its first lines tell.
                if (StartsLikeARecipe(file))
                    found.Add(new DiscoveredRecipe(path, null, $"{path}: larger than {RecipeParser.MaxBytes} bytes: not read"));
                continue;
            }

            if (!BaseKey().IsMatch(File.ReadAllText(file)))
                continue;
            try
            {
                found.Add(new DiscoveredRecipe(path, RecipeParser.Load(file, repositoryRoot: tree).Name, null));
            }
            catch (RecipeLintException e)
            {
                found.Add(new DiscoveredRecipe(path, null, e.Message));
            }
        }

        return found;
    }

    private static bool StartsLikeARecipe(string file)
    {
        using var reader = new StreamReader(file);
        var head = new char[4096];
        var read = reader.ReadBlock(head, 0, head.Length);
        return BaseKey().IsMatch(new string(head, 0, read));
    }

    /// <summary>
    /// Whether a change to these paths can change this recipe's image: the recipe file itself, or
    /// anything in its directory or below (its <c>files:</c> sources are relative to it).
    /// </summary>
    public static bool Touches(string recipePath, IEnumerable<string> changedPaths)
    {
        var directory = recipePath.Contains('/', StringComparison.Ordinal) ? recipePath[..(recipePath.LastIndexOf('/') + 1)] : "";
        return changedPaths.Any(p => p == recipePath || (p.StartsWith(directory, StringComparison.Ordinal) && !IsOtherRecipeFile(p, recipePath)));
    }

    private static bool IsOtherRecipeFile(string path, string recipePath) =>
        path != recipePath && !path[(recipePath.LastIndexOf('/') + 1)..].Contains('/', StringComparison.Ordinal)
        && (path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".yml", StringComparison.Ordinal));

    [GeneratedRegex(@"^base\s*:", RegexOptions.Multiline)]
    private static partial Regex BaseKey();
}
