namespace ImagePipeline.Agent.Transport;

/// <summary>One response: its status, where its body starts in the file, the file's length and ETag, and the body.</summary>
/// <param name="Status">HTTP status: 200 (whole file), 206 (from <paramref name="Start"/>), anything else is an error</param>
/// <param name="Start">offset of the body's first byte (from Content-Range; 0 for a 200)</param>
/// <param name="TotalLength">the whole file's length, when the server says</param>
public sealed record ImageResponse(int Status, long Start, long? TotalLength, string? EntityTag, Stream Body, string? Reason = null) : IDisposable
{
    public void Dispose() => Body.Dispose();
}
