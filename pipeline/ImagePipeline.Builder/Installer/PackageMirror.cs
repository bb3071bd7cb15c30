using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Debian;
using ImagePipeline.Builder.Stages;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Installer;

/// <summary>
/// A local Debian mirror of exactly one recipe's package set, for installing it at deploy time:
/// the .debs mmdebstrap resolves for the recipe's base stage (same archive, same day, so the same
/// packages as the image), and a flat repository index over them (<c>Packages</c>, <c>Release</c>)
/// that apt reads as <c>deb [trusted=yes] URL ./</c>. Cached by that resolution's inputs.
/// </summary>
public static class PackageMirror
{
    public const string Stage = "mirror";
    public const string PackageNamesFile = "package-names";

    /// <summary>The packages the recipe's base stage asks for (the rest are their dependencies and the essential set).</summary>
    public static IReadOnlyList<string> Requested(Recipe recipe) => BaseRootfsStage.Included(recipe);

    public static string Digest(Recipe recipe, string day)
    {
        using var digest = new DigestBuilder()
            .Add("stage", "mirror/v1")
            .Add("suite", recipe.Base.Suite)
            .Add("packages", string.Join('\n', Requested(recipe).Order(StringComparer.Ordinal)))
            .Add("freshness", recipe.Snapshot ?? day);
        return digest.Finish();
    }

    /// <returns>the mirror's directory: the .debs, <c>Packages</c>, <c>Release</c> and <see cref="PackageNamesFile"/></returns>
    public static async Task<string> EnsureAsync(BuildContext context)
    {
        var recipe = context.Recipe;
        if (recipe.Base.Kind != BaseKind.Debian)
            throw new Tools.BuildStepException(Stage, "mirror", $"a deploy-time install needs a Debian base; {recipe.Name} is {recipe.Base}", "");
        var (path, _) = await context.Cache.GetOrCreateAsync(Stage, Digest(recipe, context.BaseDay), async dir =>
        {
            // The resolution is mmdebstrap's own (minbase + the recipe's packages, as the base
            // stage): its download cache, kept with the essential set, is the package set.
            await context.Tools.RunAsync(Stage, "mmdebstrap",
            [
                "--mode=root", "--variant=minbase", "--include=" + string.Join(',', Requested(recipe)),
                "--aptopt=Acquire::Languages \"none\"", "--skip=download/empty", "--skip=essential/unlink",
                $"--customize-hook=sync-out /var/cache/apt/archives {dir}", "--format=null",
                recipe.Base.Suite, "/dev/null", .. AptSources.ForSuite(recipe.Base.Suite, recipe.Snapshot),
            ], context.CancellationToken);
            // apt's own bookkeeping in its cache directory is not part of the set.
            Directory.Delete(Path.Combine(dir, "partial"), recursive: true);
            File.Delete(Path.Combine(dir, "lock"));

            await WriteIndexAsync(context, dir);
        }, cancellationToken: context.CancellationToken);
        return path;
    }

    /// <summary><c>Packages</c> (each .deb's control fields, its file name, size and SHA-256) and a <c>Release</c> naming its hash.</summary>
    public static async Task WriteIndexAsync(BuildContext context, string dir)
    {
        var index = new StringBuilder();
        var names = new List<string>();
        foreach (var deb in Directory.GetFiles(dir, "*.deb").Order(StringComparer.Ordinal))
        {
            var control = (await context.Tools.RunAsync(Stage, "dpkg-deb", ["--field", deb], context.CancellationToken, quiet: true)).TrimEnd('\n');
            var name = control.Split('\n').FirstOrDefault(l => l.StartsWith("Package: ", StringComparison.Ordinal))?["Package: ".Length..].Trim()
                ?? throw new Tools.BuildStepException(Stage, "dpkg-deb --field", $"{deb} has no Package field", control);
            names.Add(name);
            await using var file = File.OpenRead(deb);
            var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, context.CancellationToken));
            index.Append(control).Append('\n')
                .Append(CultureInfo.InvariantCulture, $"Filename: ./{Path.GetFileName(deb)}\nSize: {file.Length}\nSHA256: {sha256}\n\n");
        }

        var packages = Encoding.UTF8.GetBytes(index.ToString());
        await File.WriteAllBytesAsync(Path.Combine(dir, "Packages"), packages, context.CancellationToken);
        var release = $"""
            Origin: ImagePipeline
            Label: {context.Recipe.Name} package set
            Suite: {context.Recipe.Base.Suite}
            Date: {DateTimeOffset.FromUnixTimeSeconds(context.SourceDateEpoch):R}
            SHA256:
             {Convert.ToHexStringLower(SHA256.HashData(packages))} {packages.Length} Packages

            """;
        await File.WriteAllTextAsync(Path.Combine(dir, "Release"), release, context.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, PackageNamesFile), string.Join('\n', names.Distinct().Order(StringComparer.Ordinal)) + "\n", context.CancellationToken);
    }
}
