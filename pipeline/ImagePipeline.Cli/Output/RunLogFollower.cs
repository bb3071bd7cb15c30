namespace ImagePipeline.Cli.Output;

/// <summary>A pipeline run's log followed live from the server (<c>GET /api/v1/runs/ID/log</c>, server-sent events): <c>trigger --follow</c> and the demo.</summary>
public static class RunLogFollower
{
    /// <summary>Prints the run's server-sent log events until its "end" event; the exit code follows the final state.</summary>
    public static async Task<int> FollowAsync(HttpClient http, long id, CancellationToken cancellationToken, string prefix = "")
    {
        await using var stream = await http.GetStreamAsync($"/api/v1/runs/{id}/log", cancellationToken);
        using var reader = new StreamReader(stream);
        var ending = false;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line == "event: end")
            {
                ending = true;
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                if (ending)
                    return line[6..] is "candidate" or "unchanged" ? ExitCodes.Success : ExitCodes.Failed;
                Console.WriteLine(prefix + line[6..]);
            }
        }

        Console.Error.WriteLine("trigger: the server closed the log before the run ended");
        return ExitCodes.Failed;
    }
}
