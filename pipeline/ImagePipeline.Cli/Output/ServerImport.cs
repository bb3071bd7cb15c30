using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ImagePipeline.Cli.Output;

/// <summary>
/// <c>imagepipe import FILE --name NAME --server URL</c>: the name's checks set first when given
/// (<c>PUT /api/v1/imports/NAME</c>), then the disk streamed to the server with its SHA-256
/// (<c>POST /api/v1/images</c>), which validates it into a version; with --wait, the run's log to its end.
/// </summary>
public static class ServerImport
{
    public static async Task<int> RunAsync(HttpClient http, string file, string name, string? checksFile, bool wait, CancellationToken cancellationToken)
    {
        try
        {
            if (checksFile is not null)
            {
                using var checks = await http.PutAsync($"/api/v1/imports/{Uri.EscapeDataString(name)}",
                    new StringContent(await File.ReadAllTextAsync(checksFile, cancellationToken), Encoding.UTF8, "application/yaml"), cancellationToken);
                var answer = await checks.Content.ReadAsStringAsync(cancellationToken);
                if (!checks.IsSuccessStatusCode)
                    return Refused("the checks", checks, answer);
                var health = JsonNode.Parse(answer)!["health"]!.AsArray().Select(h => h!.GetValue<string>());
                Console.WriteLine($"{name}: checks set; healthy on machines by probes from outside: {string.Join(", ", health)}");
            }

            Console.WriteLine($"hashing {file} ...");
            string sha256;
            await using (var read = File.OpenRead(file))
                sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(read, cancellationToken));
            await using var body = File.OpenRead(file);
            using var content = new StreamContent(body, 1 << 20);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.ContentLength = body.Length;
            Console.WriteLine($"uploading {body.Length:N0} bytes (sha256 {sha256}) to {http.BaseAddress} ...");
            using var response = await http.PostAsync($"/api/v1/images?name={Uri.EscapeDataString(name)}&sha256={sha256}", content, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                return Refused("the upload", response, text);
            var imported = JsonNode.Parse(text)!;
            Console.WriteLine($"image {imported["imageId"]}{(imported["alreadyStored"]?.GetValue<bool>() == true ? " (already in the store)" : "")}");
            if (imported["next"] is { } next)
                Console.WriteLine(next.GetValue<string>());
            if (imported["runId"]?.GetValue<long>() is not { } runId)
                return ExitCodes.Success;
            Console.WriteLine($"run {runId}: {http.BaseAddress}api/v1/runs/{runId}");
            return wait ? await RunLogFollower.FollowAsync(http, runId, cancellationToken) : ExitCodes.Success;
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"import: the server at {http.BaseAddress} does not answer ({e.Message}); start it with ./imagepipe server");
            return ExitCodes.Failed;
        }
    }

    private static int Refused(string what, HttpResponseMessage response, string body) =>
        ServerRefusal.Report("import", "import images", (int)response.StatusCode, $"{what} refused: {body.Trim('"')}");
}
