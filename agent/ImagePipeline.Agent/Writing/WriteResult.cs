namespace ImagePipeline.Agent.Writing;

/// <summary>A finished write.</summary>
/// <param name="BytesWritten">bytes actually written (zero chunks skipped on targets that read back zeros are not counted)</param>
/// <param name="Resumes">times the download was resumed with a Range request</param>
public sealed record WriteResult(long SizeBytes, long BytesWritten, int Resumes, TimeSpan Elapsed)
{
    /// <summary>"full": the whole image streamed; "delta": only the chunks the disk lacked were fetched.</summary>
    public string Method { get; init; } = "full";
    /// <summary>Image bytes that crossed the network, as sent (compressed).</summary>
    public long BytesFetched { get; init; }
    /// <summary>Delta writes: chunks fetched (distinct), and chunks the disk already held (where they belong, or elsewhere).</summary>
    public int ChunksFetched { get; init; }
    public int ChunksReused { get; init; }
}
