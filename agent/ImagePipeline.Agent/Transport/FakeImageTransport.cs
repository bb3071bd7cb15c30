namespace ImagePipeline.Agent.Transport;

/// <summary>
/// Serves bytes from memory, honouring offsets exactly: for tests of logic above the transport.
/// Failure modes that need a real socket (drops, drips) are tested against a real HTTP server.
/// </summary>
public sealed class FakeImageTransport(byte[] content) : IImageTransport
{
    public int Requests { get; private set; }

    public Task<ImageResponse> OpenAsync(Uri url, long offset, string? entityTag, CancellationToken cancellationToken)
    {
        Requests++;
        var body = new MemoryStream(content, (int)offset, content.Length - (int)offset, writable: false);
        return Task.FromResult(new ImageResponse(offset == 0 ? 200 : 206, offset, content.Length, "\"fake\"", body));
    }
}
