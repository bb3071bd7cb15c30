using System.CommandLine;
using System.Text.Json;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Artifacts;
using ImagePipeline.Cli.Output;
using ImagePipeline.Recipes;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Running;

namespace ImagePipeline.Cli.Verbs;

/// <summary><c>imagepipe validate IMAGE</c>: boot the image on its recipe's hardware profiles and run the checks; exit 0 only if all pass.</summary>
public static class ValidateVerb
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "a build output directory, or an image id (or unique prefix) in the artifact store" };
        var profiles = new Option<string[]>("--profile") { Description = "validate only on these profiles (catalogue names or the recipe's own)", AllowMultipleArgumentsPerToken = false };
        var json = new Option<bool>("--json") { Description = "print the report as JSON" };
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var pxe = new Option<bool>("--pxe") { Description = "the production path instead of a disk boot: one blank VM per profile netboots from a real boot service, the agent deploys the image, it boots from its disk and must report healthy" };
        var command = new Command("validate", "Boot an image in QEMU across a matrix of virtual hardware and check it.") { image, profiles, json, data, pxe };
        command.SetAction(async (parse, cancellationToken) => parse.GetValue(pxe)
            ? await RunPxeAsync(parse.GetValue(image)!, parse.GetValue(profiles) ?? [], parse.GetValue(json), DataDirectory.Resolve(parse.GetValue(data)), cancellationToken)
            : await RunAsync(parse.GetValue(image)!, parse.GetValue(profiles) ?? [], parse.GetValue(json), DataDirectory.Resolve(parse.GetValue(data)), cancellationToken));
        return command;
    }

    public static async Task<int> RunPxeAsync(string imageArgument, IReadOnlyList<string> profiles, bool json, string data, CancellationToken cancellationToken)
    {
        // The boot service serves images from the artifact store: a PXE validation takes an image id.
        if (StoredImages.Find(data, imageArgument, "validate --pxe") is not { } manifest)
            return ExitCodes.InvalidInput;
        var directory = new ArtifactPublisher(data, null).Find(manifest.ImageId)!;
        if (LoadPlan(directory, profiles) is not { } plan)
            return ExitCodes.InvalidInput;

        if (!json)
            Console.WriteLine($"validating {manifest.Name} {manifest.ImageId[..12]} over PXE on {string.Join(", ", plan.Profiles.Select(p => p.Name))}");
        Lab.PxeReport report;
        try
        {
            report = await Lab.PxeValidation.RunAsync(data, manifest, directory, plan.Profiles, TimeSpan.FromMinutes(10),
                json ? null : line => Console.WriteLine($"  {DateTimeOffset.Now:HH:mm:ss} {line}"), cancellationToken);
        }
        catch (Exception e) when (e is HarnessException or InvalidOperationException or HttpRequestException or Redfish.RedfishException)
        {
            Console.Error.WriteLine($"validate --pxe: the harness broke: {e.Message}");
            return ExitCodes.Failed;
        }

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, ManifestJson.Options));
        }
        else
        {
            DeployOutcomeReport.Print(report.Profiles);
            Console.WriteLine($"{(report.Passed ? "PASSED" : "FAILED")} in {report.Seconds:0.0} s; report: {Path.Combine(directory, ValidationRunner.ReportDirectory, Lab.PxeValidation.ReportFile)}");
        }

        return report.Passed ? ExitCodes.Success : ExitCodes.Failed;
    }

    public static async Task<int> RunAsync(string imageArgument, IReadOnlyList<string> profiles, bool json, string data, CancellationToken cancellationToken)
    {
        var directory = Directory.Exists(imageArgument) ? Path.GetFullPath(imageArgument) : new ArtifactPublisher(data, null).Find(imageArgument);
        if (directory is null)
        {
            Console.Error.WriteLine($"validate: '{imageArgument}' is neither a build output directory nor an image id in {data}/artifacts/sha256");
            return ExitCodes.InvalidInput;
        }

        if (LoadPlan(directory, profiles) is not { } plan)
            return ExitCodes.InvalidInput;

        if (!json)
            Console.WriteLine($"validating {Path.GetFileName(directory)} on {string.Join(", ", plan.Profiles.Select(p => p.Name))}");
        ValidationReport report;
        try
        {
            report = await ValidationRunner.RunAsync(directory, plan, json ? null : PrintProfile, cancellationToken);
        }
        catch (HarnessException e)
        {
            Console.Error.WriteLine($"validate: the harness broke: {e.Message}");
            return ExitCodes.Failed;
        }

        if (json)
            Console.WriteLine(JsonSerializer.Serialize(report, ManifestJson.Options));
        else
            Console.WriteLine($"{(report.Passed ? "PASSED" : "FAILED")} in {report.Seconds:0.0} s; report: {Path.Combine(directory, ValidationRunner.ReportDirectory, ValidationRunner.ReportFile)}");
        return report.Passed ? ExitCodes.Success : ExitCodes.Failed;
    }

    private static void PrintProfile(ProfileResult result)
    {
        var boot = result.BootSeconds is { } seconds ? $"ready after {seconds:0.0} s" : "never ready";
        Console.WriteLine($"  {(result.Passed ? "✓" : "✗")} {result.Profile,-18} {boot,-20} ({result.Hardware})");
        if (result.HarnessError is not null)
            Console.WriteLine($"      harness broke: {result.HarnessError}");
        foreach (var check in result.Checks.Where(c => c.Outcome == CheckResult.Fail))
            Console.WriteLine($"      {check.Check}: {check.Reason?.Split('\n')[0]}");
    }

    /// <summary>The recipe's validation plan, narrowed to the profiles asked for; null (the error printed) when it is invalid.</summary>
    private static ValidationPlan? LoadPlan(string directory, IReadOnlyList<string> profiles)
    {
        try
        {
            return ValidationPlan.FromSection(LoadValidateSection(directory), profiles);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            Console.Error.WriteLine($"validate: {e.Message}");
            return null;
        }
    }

    /// <summary>The validate section of the recipe the image was built from, if that recipe is still where the manifest says.</summary>
    private static YamlDotNet.RepresentationModel.YamlMappingNode? LoadValidateSection(string directory)
    {
        var manifestPath = Path.Combine(directory, ArtifactStoreLayout.Manifest);
        if (!File.Exists(manifestPath))
            return null;
        var manifest = JsonSerializer.Deserialize<ImageManifest>(File.ReadAllText(manifestPath), ManifestJson.Options);
        if (manifest is null || !File.Exists(manifest.Recipe.Path))
            return null;
        try
        {
            var recipe = RecipeParser.Load(manifest.Recipe.Path);
            if (recipe.SourceDigest != manifest.Recipe.Digest)
                Console.Error.WriteLine($"validate: note: {manifest.Recipe.Path} changed since this image was built; using its current validate section");
            return recipe.Validate?.Node;
        }
        catch (RecipeLintException)
        {
            return null;
        }
    }
}
