using System.Net;

namespace ImagePipeline.Redfish;

/// <summary>A BMC refused a request or answered something that is not Redfish; the message carries the BMC's own explanation.</summary>
public sealed class RedfishException : Exception
{
    public RedfishException(string message, HttpStatusCode? status = null, string? messageId = null, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        MessageId = messageId;
    }

    public RedfishException()
    {
    }

    public RedfishException(string message)
        : base(message)
    {
    }

    public RedfishException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode? Status { get; }

    /// <summary>The registry message id of the first extended info, for example Base.1.8.PropertyValueNotInList.</summary>
    public string? MessageId { get; }
}
