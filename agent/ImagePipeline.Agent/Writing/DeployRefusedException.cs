namespace ImagePipeline.Agent.Writing;

/// <summary>The agent stopped without touching the target's first MiB; the message says why and what to fix.</summary>
public sealed class DeployRefusedException : Exception
{
    public DeployRefusedException()
    {
    }

    public DeployRefusedException(string message) : base(message)
    {
    }

    public DeployRefusedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
