namespace ImagePipeline.Builder.Disk;

/// <summary>The bytes are not a valid GPT disk; the message says which structure is wrong.</summary>
public sealed class GptFormatException : Exception
{
    public GptFormatException()
    {
    }

    public GptFormatException(string message)
        : base(message)
    {
    }

    public GptFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
