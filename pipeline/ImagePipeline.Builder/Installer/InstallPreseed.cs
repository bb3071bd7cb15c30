using System.Globalization;
using System.Text;
using System.Text.Json;
using ImagePipeline.Builder.Boot;
using ImagePipeline.Builder.Stages;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Installer;

/// <summary>
/// What a deploy-time install of a recipe is told, like a Debian installer's preseed file fetched
/// from <c>preseed/url</c>: <c>preseed.env</c> (suite, package set, ESP size, boot modes, kernel
/// command line, the units to enable), <c>overlay.tar</c> (the same files the builder puts into
/// the image: its system configuration, the report agent and health checks, the identity, the recipe's files)
/// and <c>commands/NNN</c> (the recipe's commands, run in order in the installed system). One tar
/// file, <see cref="FileName"/>, that the installer fetches from the boot service.
/// </summary>
public static class InstallPreseed
{
    public const string FileName = "preseed.tar";
    /// <summary>Where the installed root's partition GUID goes in <c>CMDLINE</c>: the installer picks it when it partitions.</summary>
    public const string RootPartuuidPlaceholder = "ROOT_PARTUUID";

    /// <param name="packages">every package of the set (the mirror's <see cref="PackageMirror.PackageNamesFile"/>)</param>
    /// <param name="inputDigest">the input digest of the image the install stands in for: the same inputs, installed instead of imaged (recipes read it from image.json)</param>
    /// <returns>the preseed's path, <see cref="FileName"/> in <paramref name="directory"/></returns>
    public static async Task<string> WriteAsync(BuildContext context, IReadOnlyList<string> packages, string inputDigest, string? reportAgent, string directory)
    {
        var recipe = context.Recipe;
        if (recipe.Base.Kind != BaseKind.Debian || recipe.Disk.Root != RootFilesystem.Ext4)
            throw new Tools.BuildStepException("preseed", "preseed", $"a deploy-time install makes a Debian system on ext4; {recipe.Name} is {recipe.Base} with a {recipe.Disk.Root} root", "");
        var staging = Path.Combine(directory, "preseed.d");
        if (Directory.Exists(staging))
            Directory.Delete(staging, recursive: true);
        var overlay = Path.Combine(staging, "overlay");
        Directory.CreateDirectory(overlay);
        try
        {
            RootfsStage.WriteBootReport(overlay);
            RootfsStage.WriteDebianConfiguration(overlay, recipe.Name);
            var units = RootfsStage.DebianUnits.ToList();
            if (reportAgent is not null)
            {
                RootfsStage.WriteReportAgentFiles(overlay, recipe, await File.ReadAllBytesAsync(reportAgent, context.CancellationToken));
                units.Add(RootfsStage.ReportUnit);
            }

            var identity = new ImageIdentity(recipe.Name, inputDigest, recipe.SourceDigest, recipe.Base.ToString());
            RootfsStage.WriteFile(overlay, ImageIdentity.PathInImage, JsonSerializer.Serialize(identity, ManifestJson.Options) + "\n", 0b110_100_100);
            foreach (var file in recipe.Files)
                RootfsStage.WriteFile(overlay, file.Path.TrimStart('/'), file.ReadBytes(), file.Mode);
            await context.Tools.RunAsync("preseed", "tar", ["--numeric-owner", "--owner=0", "--group=0", "-cf", Path.Combine(staging, "overlay.tar"), "-C", overlay, "."], context.CancellationToken);
            Directory.Delete(overlay, recursive: true);

            var commands = Directory.CreateDirectory(Path.Combine(staging, "commands")).FullName;
            for (var i = 0; i < recipe.Commands.Count; i++)
                await File.WriteAllTextAsync(Path.Combine(commands, (i + 1).ToString("D3", CultureInfo.InvariantCulture)), recipe.Commands[i], context.CancellationToken);

            var commandLine = BootLoaders.KernelCommandLine(BootLoaders.RootArguments(recipe, Guid.Empty), recipe.Cmdline).Replace(Guid.Empty.ToString("D"), RootPartuuidPlaceholder, StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(staging, "preseed.env"), Environment(new Dictionary<string, string>
            {
                ["NAME"] = recipe.Name,
                ["SUITE"] = recipe.Base.Suite,
                ["PACKAGES"] = string.Join(',', packages),
                ["ESP_SECTORS"] = (recipe.Disk.EspSizeBytes / 512).ToString(CultureInfo.InvariantCulture),
                ["BIOS"] = recipe.Boot.Contains(BootMode.Bios) ? "yes" : "no",
                ["UEFI"] = recipe.Boot.Contains(BootMode.Uefi) ? "yes" : "no",
                ["CMDLINE"] = commandLine,
                ["UNITS"] = string.Join(' ', units),
            }), context.CancellationToken);

            var preseed = Path.Combine(directory, FileName);
            await context.Tools.RunAsync("preseed", "tar", ["--numeric-owner", "--owner=0", "--group=0", "-cf", preseed, "-C", staging, "."], context.CancellationToken);
            return preseed;
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Shell assignments, each value single-quoted (a quote inside is closed, escaped and reopened).</summary>
    internal static string Environment(IReadOnlyDictionary<string, string> values)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in values)
            text.Append(name).Append("='").Append(value.Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\n");
        return text.ToString();
    }
}
