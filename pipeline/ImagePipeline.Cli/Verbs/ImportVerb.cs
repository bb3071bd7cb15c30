using System.CommandLine;
using ImagePipeline.Builder.Import;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;

namespace ImagePipeline.Cli.Verbs;

/// <summary>
/// <c>imagepipe import FILE --name NAME</c>: an image from a disk built elsewhere, into the data
/// directory's artifact store; with <c>--server URL</c>, uploaded to that server, which validates
/// it into a version by the name's checks (<c>--checks FILE</c> sets them).
/// </summary>
public static class ImportVerb
{
    public const string DefaultLimit = "64G";

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "the disk image: raw, raw.zst, qcow2, vhdx, vmdk or vhd, with a GPT (a Packer, mkosi or osbuild output, a cloud's export)" };
        var name = new Option<string>("--name") { Description = "the image's name (as a recipe's name is): lower case letters, digits and '-'", Required = true };
        var limit = new Option<string>("--max-size") { Description = "the largest disk (its virtual size) to accept, e.g. 64G", DefaultValueFactory = _ => DefaultLimit };
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var server = new Option<string?>("--server") { Description = "upload to this pipeline server instead, which validates the image into a version (by the name's checks)" };
        var token = new SecretOption("token", "with --server: an API token of an account with the builder role", "IMAGEPIPE_TOKEN");
        var checks = new Option<string?>("--checks") { Description = "with --server: a YAML file with the validate: section the name's images are checked by (tcp/http checks at least: also their health on machines)" };
        var wait = new Option<bool>("--wait") { Description = "with --server: follow the validation run's log to its end; exit 0 for a candidate or an unchanged image" };
        var command = new Command("import", "Make an image from a disk built elsewhere: converted to raw (qemu-img), its GPT read back and listed in the manifest, published beside built images with the same artifacts (zstd stream, qcow2, chunk index). With --server, on the server, which validates it into a version.")
        {
            file, name, limit, data, server, token.File, token.Refused, checks, wait,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            var imageName = parse.GetValue(name)!;
            if (!ImageImporter.IsValidName(imageName))
            {
                Console.Error.WriteLine($"import: --name '{imageName}': give 1-63 of a-z, 0-9 and '-', starting with a letter");
                return ExitCodes.InvalidInput;
            }

            if (!ByteSize.TryParse(parse.GetValue(limit)!, out var maxBytes))
            {
                Console.Error.WriteLine($"import: --max-size '{parse.GetValue(limit)}' is not a size; give one like 64G or 512M");
                return ExitCodes.InvalidInput;
            }

            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"import: {path}: no such file");
                return ExitCodes.InvalidInput;
            }

            if (parse.GetValue(server) is { } url)
            {
                var (bearer, tokenProblem) = token.Read(parse);
                if ((tokenProblem ?? (bearer is null ? "no API token: give --token-file FILE or set IMAGEPIPE_TOKEN" : null)) is { } problem)
                {
                    Console.Error.WriteLine($"import: {problem}");
                    return ExitCodes.InvalidInput;
                }

                if (parse.GetValue(checks) is { } checksFile && !File.Exists(checksFile))
                {
                    Console.Error.WriteLine($"import: --checks {checksFile}: no such file");
                    return ExitCodes.InvalidInput;
                }

                using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = Timeout.InfiniteTimeSpan };
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
                return await Output.ServerImport.RunAsync(http, path, imageName, parse.GetValue(checks), parse.GetValue(wait), cancellationToken);
            }

            if (parse.GetValue(checks) is not null || parse.GetValue(wait))
            {
                Console.Error.WriteLine("import: --checks and --wait are for an import on a server: give --server URL too");
                return ExitCodes.InvalidInput;
            }

            try
            {
                var result = await new ImageImporter(DataDirectory.Resolve(parse.GetValue(data))).ImportAsync(Path.GetFullPath(path), imageName, maxBytes, cancellationToken);
                foreach (var partition in result.Manifest.Partitions)
                    Console.WriteLine($"  partition {partition.Number} {partition.Name,-16} {partition.Filesystem,-8} {partition.Size / 1048576.0,10:0.0} MiB");
                Console.WriteLine(result.AlreadyStored ? $"unchanged: image {result.Manifest.ImageId} is already in the store" : $"published {result.Directory}");
                Console.WriteLine(result.Manifest.ImageId);
                return ExitCodes.Success;
            }
            catch (ImportRefusedException e)
            {
                Console.Error.WriteLine($"import: {e.Message}");
                return ExitCodes.InvalidInput;
            }
            catch (BuildStepException e)
            {
                Console.Error.WriteLine($"import: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }
}
