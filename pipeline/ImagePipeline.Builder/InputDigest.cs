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
    public const string BuilderVersion = "1";

    public static string Compute(Recipe recipe, string baseDay, long sourceDateEpoch)
    {
        using var digest = new DigestBuilder()
            .Add("builder", BuilderVersion)
            .Add("name", recipe.Name)
            .Add("base", recipe.Base.ToString())
            .Add("kernel", recipe.Kernel)
            .Add("packages", string.Join('\n', recipe.Packages.Order(StringComparer.Ordinal)))
            .Add("commands", string.Join('\0', recipe.Commands))
            .Add("cmdline", recipe.Cmdline)
            .Add("disk", $"{recipe.Disk.SizeBytes}/{recipe.Disk.EspSizeBytes}/{recipe.Disk.Root}/{recipe.Disk.GrowRoot}")
            .Add("boot", string.Join(',', recipe.Boot))
            .Add("freshness", recipe.Snapshot ?? baseDay)
            .Add("epoch", sourceDateEpoch.ToString(CultureInfo.InvariantCulture));
        foreach (var file in recipe.Files)
            digest.Add("file", $"{file.Path}\0{file.Mode}\0{Convert.ToHexStringLower(SHA256.HashData(file.ReadBytes()))}");
        return digest.Finish();
    }
}
