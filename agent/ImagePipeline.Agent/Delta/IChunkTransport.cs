namespace ImagePipeline.Agent.Delta;

/// <summary>Fetches a chunk index and batches of chunks (<see cref="Protocol.DeltaRoutes"/>). The real one speaks HTTP; tests serve from memory.</summary>
public interface IChunkTransport
{
    Task<byte[]> GetIndexAsync(Uri url, CancellationToken cancellationToken);

    /// <summary>The chunks' zstd frames, in the order of <paramref name="digests"/> (lower-case hex SHA-256).</summary>
    Task<ChunkBatch> GetChunksAsync(Uri url, IReadOnlyList<string> digests, CancellationToken cancellationToken);
}

/// <summary>A batch's body as it arrives, and its announced length (what crossed the network).</summary>
public sealed record ChunkBatch(Stream Body, long? Length) : IDisposable
{
    public void Dispose() => Body.Dispose();
}
