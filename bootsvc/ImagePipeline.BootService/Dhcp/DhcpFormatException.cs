namespace ImagePipeline.BootService.Dhcp;

/// <summary>A datagram that is not a well-formed DHCP message; the server drops and counts it.</summary>
public sealed class DhcpFormatException : Exception
{
    public DhcpFormatException()
    {
    }

    public DhcpFormatException(string message) : base(message)
    {
    }

    public DhcpFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
