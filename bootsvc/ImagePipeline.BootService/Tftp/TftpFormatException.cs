namespace ImagePipeline.BootService.Tftp;

/// <summary>A datagram that is not a well-formed TFTP packet: answered with error 4 where there is someone to answer, and counted.</summary>
public sealed class TftpFormatException : Exception
{
    public TftpFormatException()
    {
    }

    public TftpFormatException(string message) : base(message)
    {
    }

    public TftpFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
