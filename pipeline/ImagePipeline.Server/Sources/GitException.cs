namespace ImagePipeline.Server.Sources;

/// <summary>A git operation on a recipe source failed; the message has git's own words.</summary>
public sealed class GitException : Exception
{
    public GitException()
    {
    }

    public GitException(string message)
        : base(message)
    {
    }

    public GitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
