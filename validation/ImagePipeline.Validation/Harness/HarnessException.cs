namespace ImagePipeline.Validation.Harness;

/// <summary>
/// The harness itself broke — QEMU would not start or died, a socket was lost — as opposed to
/// <see cref="CheckFailedException"/>, where the machine ran and the image did not do what was
/// checked. A run that ends with this says nothing about the image.
/// </summary>
public sealed class HarnessException : Exception
{
    public HarnessException()
    {
    }

    public HarnessException(string message)
        : base(message)
    {
    }

    public HarnessException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
