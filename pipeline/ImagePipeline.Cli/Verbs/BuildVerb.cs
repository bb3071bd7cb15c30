using System.CommandLine;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Cli.Output;

namespace ImagePipeline.Cli.Verbs;

/// <summary><c>imagepipe build RECIPE</c>: lint, build through the cached stages, publish atomically, print the image id.</summary>
public static class BuildVerb
{
    public static Command Create()
    {
        var recipe = new Argument<string>("recipe") { Description = "the recipe YAML file" };
        var output = new Option<string?>("--out") { Description = "publish into this directory instead of the artifact store (replaced atomically)" };
        var json = new Option<bool>("--json") { Description = "print machine-readable events, one JSON object per line, and the manifest" };
        var refresh = new Option<bool>("--refresh") { Description = "discard the cached base and fetch a fresh one from the mirror" };
        var verify = new Option<bool>("--verify-reproducible") { Description = "build the disk twice (the second time bypassing the disk cache) and fail if they differ" };
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var noAgent = new Option<bool>("--no-agent") { Description = "do not install the agent that reports the image's health at every boot" };
        var command = new Command("build", "Build a golden image from a recipe: disk.raw, disk.raw.zst, disk.qcow2, manifest.json, build.log.")
        {
            recipe, output, json, refresh, verify, data, noAgent,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new BuildOptions
            {
                ReportAgent = parse.GetValue(noAgent) ? null : await AgentBinary.EnsurePublishedAsync(cancellationToken),
                DataDirectory = DataDirectory.Resolve(parse.GetValue(data)),
                OutputDirectory = parse.GetValue(output),
                Refresh = parse.GetValue(refresh),
                VerifyReproducible = parse.GetValue(verify),
            };
            return (await RunAsync(parse.GetValue(recipe)!, options, parse.GetValue(json), cancellationToken)).ExitCode;
        });
        return command;
    }

    /// <summary>Lints and builds, reporting progress on the console; the result is null unless the exit code is <see cref="ExitCodes.Success"/>.</summary>
    public static async Task<(int ExitCode, BuildResult? Result)> RunAsync(string recipePath, BuildOptions options, bool json, CancellationToken cancellationToken)
    {
        if (!RecipeVerb.TryLoad(recipePath, out var recipe))
            return (ExitCodes.InvalidInput, null);

        var jsonObserver = json ? new JsonBuildObserver(Console.Out) : null;
        using var consoleObserver = jsonObserver is null ? new ConsoleBuildObserver(Console.Out) : null;
        IBuildObserver observer = (IBuildObserver?)jsonObserver ?? consoleObserver!;
        if (!json)
            Console.WriteLine($"building {recipe!.Name} ({recipe.Base}) from {recipePath}");
        try
        {
            var result = await new ImageBuilder(options, observer).BuildAsync(recipe!, cancellationToken);
            if (jsonObserver is not null)
            {
                jsonObserver.Write(new { @event = "manifest", directory = result.Directory, alreadyStored = result.AlreadyStored, manifest = result.Manifest });
            }
            else
            {
                Console.WriteLine(result.AlreadyStored ? "unchanged: this image is already in the store" : $"published {result.Directory}");
                Console.WriteLine(result.Manifest.ImageId);
            }

            return (ExitCodes.Success, result);
        }
        catch (BuildStepException e)
        {
            Report(jsonObserver, e.Message, e.Stage);
            return (ExitCodes.Failed, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Report(jsonObserver, "cancelled; nothing was published", null);
            return (ExitCodes.Cancelled, null);
        }
        catch (InvalidOperationException e)
        {
            Report(jsonObserver, e.Message, null);
            return (ExitCodes.Failed, null);
        }
    }

    private static void Report(JsonBuildObserver? json, string message, string? stage)
    {
        if (json is not null)
            json.Write(new { @event = "error", stage, message });
        else
            Console.Error.WriteLine($"build failed: {message}");
    }
}
