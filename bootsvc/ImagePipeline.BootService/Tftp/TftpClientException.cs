namespace ImagePipeline.BootService.Tftp;

/// <summary>The server answered with an ERROR packet.</summary>
public sealed class TftpClientException : Exception
{
    public TftpClientException()
    {
    }

    public TftpClientException(string message) : base(message)
    {
    }

    public TftpClientException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public TftpClientException(TftpErrorCode code, string message) : base($"TFTP error {(int)code} ({code}): {message}") => Code = code;

    public TftpErrorCode Code { get; }
}
