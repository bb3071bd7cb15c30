namespace ImagePipeline.Cli.Lab;

/// <summary>A lab that did not come up; the message says why (the controller's last log lines, or where its log is).</summary>
public sealed class LabNotStartedException : Exception
{
    public LabNotStartedException()
    {
    }

    public LabNotStartedException(string message)
        : base(message)
    {
    }

    public LabNotStartedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
