using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ImagePipeline.Cli.Output;

namespace ImagePipeline.Cli.Verbs;

/// <summary><c>imagepipe trigger RECIPE</c>: ask the server for a build of a recipe now; with --wait, follow its log to the end.</summary>
public static class TriggerVerb
{
    public static Command Create()
    {
        var recipe = new Argument<string>("recipe") { Description = "the recipe's name (as GET /api/v1/recipes lists it)" };
        var server = new Option<string>("--server") { Description = "the pipeline server", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("IMAGEPIPE_SERVER") ?? ServerVerb.DefaultUrl };
        var token = new SecretOption("token", "an API token of an account with the builder role (POST /api/v1/tokens)", "IMAGEPIPE_TOKEN");
        var wait = new Option<bool>("--wait") { Description = "stream the run's log until it ends; exit 0 for a candidate or an unchanged image, 1 when it failed" };
        var emergency = new Option<string?>("--emergency") { Description = "an EMERGENCY rebuild, with this reason: the critical queue, a fresh base, the recipe's smoke profiles" };
        var packages = new Option<string[]>("--package") { Description = "with --emergency: a package the fix is in, which must come out newer than in the recipe's latest image (repeatable)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("trigger", "Trigger a pipeline run (build, then validation if the image is new) of a recipe on the server.") { recipe, server, token.File, token.Refused, wait, emergency, packages };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(parse.GetValue(server)!), Timeout = Timeout.InfiniteTimeSpan };
            var (bearer, tokenProblem) = token.Read(parse);
            if (tokenProblem is not null)
            {
                Console.Error.WriteLine($"trigger: {tokenProblem}");
                return ExitCodes.InvalidInput;
            }

            if (bearer is null)
            {
                Console.Error.WriteLine("trigger: no API token: give --token-file FILE or set IMAGEPIPE_TOKEN (create one: curl -u admin -X POST -H 'content-type: application/json' -d '{\"name\":\"cli\"}' SERVER/api/v1/tokens)");
                return ExitCodes.InvalidInput;
            }

            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
            if (parse.GetValue(packages) is { Length: > 0 } && parse.GetValue(emergency) is null)
            {
                Console.Error.WriteLine("trigger: --package names what an emergency rebuild must update: give --emergency REASON too");
                return ExitCodes.InvalidInput;
            }

            HttpResponseMessage response;
            var name = Uri.EscapeDataString(parse.GetValue(recipe)!);
            try
            {
                response = parse.GetValue(emergency) is { } reason
                    ? await http.PostAsJsonAsync($"/api/v1/recipes/{name}/emergency", new { reason, packages = parse.GetValue(packages) ?? [] }, cancellationToken)
                    : await http.PostAsync($"/api/v1/recipes/{name}/runs", null, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine($"trigger: the server at {http.BaseAddress} does not answer ({e.Message}); start it with ./imagepipe server");
                return ExitCodes.Failed;
            }

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    return ServerRefusal.Report("trigger", "trigger builds", (int)response.StatusCode, body);
                }

                var run = JsonNode.Parse(body)!;
                var id = run["id"]!.GetValue<long>();
                Console.WriteLine($"run {id}: {run["recipe"]} queued{(run["emergency"]?.GetValue<bool>() == true ? " (EMERGENCY, critical queue)" : "")} ({http.BaseAddress}api/v1/runs/{id})");
                if (!parse.GetValue(wait))
                    return ExitCodes.Success;
                return await RunLogFollower.FollowAsync(http, id, cancellationToken);
            }
        });
        return command;
    }
}
