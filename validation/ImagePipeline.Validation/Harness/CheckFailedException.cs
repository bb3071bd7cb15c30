namespace ImagePipeline.Validation.Harness;

/// <summary>The machine ran, and the image did not do what was checked. The message says what, in words.</summary>
public sealed class CheckFailedException : Exception
{
    public CheckFailedException()
    {
    }

    public CheckFailedException(string message)
        : base(message)
    {
    }

    public CheckFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
