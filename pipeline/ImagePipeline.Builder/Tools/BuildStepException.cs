namespace ImagePipeline.Builder.Tools;

/// <summary>A build step failed: names the stage, the command as run, and the tail of its output so the operator sees why.</summary>
public sealed class BuildStepException : Exception
{
    public BuildStepException(string stage, string command, string reason, string outputTail)
        : base($"stage '{stage}' failed: {reason}\n  command: {command}" + (outputTail.Length > 0 ? $"\n  last output:\n{Indent(outputTail)}" : ""))
    {
        Stage = stage;
        Command = command;
        OutputTail = outputTail;
    }

    public BuildStepException()
        : this("", "", "unknown", "")
    {
    }

    public BuildStepException(string message)
        : base(message)
    {
        Stage = Command = OutputTail = "";
    }

    public BuildStepException(string message, Exception innerException)
        : base(message, innerException)
    {
        Stage = Command = OutputTail = "";
    }

    public string Stage { get; }
    public string Command { get; }
    public string OutputTail { get; }

    private static string Indent(string text) => string.Join('\n', text.Split('\n').Select(l => "    " + l));
}
