namespace ImagePipeline.Agent.Transport;

/// <summary>Opens the image at a byte offset. The real one speaks HTTP; tests use <see cref="FakeImageTransport"/>.</summary>
public interface IImageTransport
{
    /// <param name="offset">0 for the first request; after a break, the first byte not yet received</param>
    /// <param name="entityTag">the ETag of the first response, so a resume never splices two different files</param>
    Task<ImageResponse> OpenAsync(Uri url, long offset, string? entityTag, CancellationToken cancellationToken);
}
