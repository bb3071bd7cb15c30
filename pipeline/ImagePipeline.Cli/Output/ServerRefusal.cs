namespace ImagePipeline.Cli.Output;

/// <summary>What a verb that talks to the pipeline server says when the server refuses a request, and the exit code that goes with it.</summary>
public static class ServerRefusal
{
    /// <param name="verb">the verb, as the line starts: "trigger"</param>
    /// <param name="action">what the token's account was refused, for a 403: "trigger builds"</param>
    /// <returns>the exit code: invalid input for a request the operator can mend (400, 404, 409, 413), else failed</returns>
    public static int Report(string verb, string action, int status, string body)
    {
        Console.Error.WriteLine(status switch
        {
            401 => $"{verb}: 401: the server does not accept this token (unknown or expired): create a new one",
            403 => $"{verb}: 403: the token's account may not {action}: it needs the builder or admin role",
            _ => $"{verb}: {status}: {body.Trim('"')}",
        });
        return status is 400 or 404 or 409 or 413 ? ExitCodes.InvalidInput : ExitCodes.Failed;
    }
}
