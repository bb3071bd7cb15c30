namespace ImagePipeline.Server;

/// <summary>
/// A request a desk refuses (the promotion desk, the rollout desk), with the HTTP status that says
/// why — 400 bad input, 404 unknown, 409 not now — and a message that says what to fix. The API
/// answers it as that status with the message; the web UI shows the message.
/// </summary>
public sealed class RequestRefusedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
