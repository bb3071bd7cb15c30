using System.Globalization;
using System.Security.Cryptography;
using ImagePipeline.Builder.Caching;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder;

/// <summary>
/// The digest of everything a disk is built from: the recipe's build fields (not its comments,
/// not its validate or rollout sections), the bytes of its files, the base's freshness and the
/// timestamp. Two builds with the same input digest produce the same image.
/// </summary>
public static class InputDigest
{
    public const string BuilderVersion = "2";

    /// <summary>The files the builder itself puts into images (init scripts, units...): changing one must make a new image.</summary>
    public static string BuilderFilesDigest => BuilderFiles.Value;

    private static readonly Lazy<string> BuilderFiles = new(() =>
    {
        var assembly = typeof(InputDigest).Assembly;
        using var digest = new DigestBuilder();
        foreach (var name in assembly.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            digest.Add(name, SHA256.HashData(stream));
        }

        return digest.Finish();
    });

    /// <param name="reportAgentSha256">SHA-256 of the agent binary installed into the image, when one is</param>
    public static string Compute(Recipe recipe, string baseDay, long sourceDateEpoch, string? reportAgentSha256 = null)
    {
        using var digest = new DigestBuilder()
            .Add("builder", BuilderVersion)
            .Add("builder-files", BuilderFiles.Value)
            .Add("name", recipe.Name)
            .Add("base", recipe.Base.ToString())
            .Add("kernel", recipe.Kernel)
            .Add("packages", string.Join('\n', recipe.Packages.Order(StringComparer.Ordinal)))
            .Add("commands", string.Join('\0', recipe.Commands))
            .Add("cmdline", recipe.Cmdline)
            .Add("disk", $"{recipe.Disk.SizeBytes}/{recipe.Disk.EspSizeBytes}/{recipe.Disk.Root}/{recipe.Disk.GrowRoot}{(recipe.Disk.Verity ? "/verity" : "")}{(recipe.Disk.VarPartition ? $"/var={recipe.Disk.VarSizeBytes}" : "")}{(recipe.Disk.AbSlots ? "/slots=ab" : "")}")
            .Add("boot", string.Join(',', recipe.Boot))
            .Add("freshness", recipe.Snapshot ?? baseDay)
            .Add("epoch", sourceDateEpoch.ToString(CultureInfo.InvariantCulture));
        if (reportAgentSha256 is not null)
        {
            digest.Add("report-agent", reportAgentSha256);
            digest.Add("health-checks", Agent.HealthCheckFile.ToJson(recipe.Validate) ?? "");
        }

        foreach (var file in recipe.Files)
            digest.Add("file", $"{file.Path}\0{file.Mode}\0{Convert.ToHexStringLower(SHA256.HashData(file.ReadBytes()))}");
        return digest.Finish();
    }
}
