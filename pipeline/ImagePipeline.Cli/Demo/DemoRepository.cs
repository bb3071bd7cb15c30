using CliWrap;
using CliWrap.Buffered;

namespace ImagePipeline.Cli.Demo;

/// <summary>
/// The demo's recipe repository: a real local git repository under DATA/demo/recipes holding the
/// tiny example, made on the first run and left alone after (commit to it, and the next run builds
/// your change).
/// </summary>
public static class DemoRepository
{
    /// <summary>The tiny example's recipe, named <paramref name="recipeName"/>.</summary>
    public static async Task<string> ExampleAsync(string recipeName, CancellationToken cancellationToken) =>
        (await File.ReadAllTextAsync(RepositoryPaths.Example("tiny"), cancellationToken)).Replace("name: tiny\n", $"name: {recipeName}\n", StringComparison.Ordinal);

    /// <summary>Where the demo keeps it.</summary>
    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, "demo", "recipes");

    /// <summary>The repository at <paramref name="path"/>, made with the tiny example as its first commit unless it exists.</summary>
    /// <param name="recipeName">the recipe's name (tiny; another for a repository beside the demo's on the same server: names are unique there)</param>
    public static async Task<string> EnsureAsync(string path, CancellationToken cancellationToken, string recipeName = "tiny")
    {
        if (Directory.Exists(Path.Combine(path, ".git")))
            return path;
        Directory.CreateDirectory(Path.Combine(path, "recipes"));
        await File.WriteAllTextAsync(Path.Combine(path, "recipes", $"{recipeName}.yaml"), await ExampleAsync(recipeName, cancellationToken), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(path, "README.md"), "Recipes of the ImagePipeline demo: commit a change here and run ./imagepipe demo again.\n", cancellationToken);
        foreach (var arguments in new[] { new[] { "init", "--quiet", "--initial-branch=main" }, ["add", "-A"],
                     ["-c", "user.name=imagepipe demo", "-c", "user.email=demo@imagepipeline.invalid", "commit", "--quiet", "-m", "The tiny example"] })
            await CliWrap.Cli.Wrap("git").WithArguments(["-C", path, .. arguments]).ExecuteBufferedAsync(cancellationToken);
        return path;
    }
}
