namespace ImagePipeline.Agent.Protocol;

/// <summary>
/// How a batch of chunks is asked for and answered (the URL is the assignment's
/// <see cref="DeltaSource.ChunksUrl"/>, authenticated like the image itself): the request body is
/// the chunks' SHA-256 digests, 32 bytes each, back to back, at most <see cref="MaxChunksPerRequest"/>;
/// the response (<see cref="ResponseType"/>) is each chunk's zstd frame in the order asked for, so
/// one zstd decoder reads the whole batch and the asker cuts it by the lengths its index gives.
/// </summary>
public static class DeltaRoutes
{
    public const string RequestType = "application/vnd.imagepipeline.chunk-digests";
    public const string ResponseType = "application/zstd";
    public const int DigestBytes = 32;
    /// <summary>256 chunks of ~64 KiB: ~16 MiB a request, few enough round trips, small enough to retry.</summary>
    public const int MaxChunksPerRequest = 256;
}
