namespace ImagePipeline.Chunks;

/// <summary>Where one chunk of the new image comes from in a delta write.</summary>
public enum ChunkSource
{
    /// <summary>The target already holds these bytes at this very offset: nothing to write.</summary>
    InPlace,
    /// <summary>The target holds these bytes elsewhere (<see cref="DeltaStep.SeedOffset"/>): read them before anything is written.</summary>
    Moved,
    /// <summary>Nowhere on the target: fetch the chunk.</summary>
    Fetch,
}

/// <summary>One chunk of the new image and where its bytes come from.</summary>
public readonly record struct DeltaStep(Chunk Chunk, ChunkSource Source, long SeedOffset);

/// <summary>
/// What a delta write of an image onto a disk that already holds data (the previous image, or the
/// other A/B slot) needs: the seed — what the disk holds now — is cut with the same chunker
/// (<see cref="DiskChunker"/>), and each chunk of the new image's index is found at the same
/// offset, elsewhere on the seed, or not at all. A chunk found at the same offset costs nothing;
/// one found elsewhere is read before any write (the writes may cover where it is now); the rest
/// are fetched. Every byte taken from the seed is hashed again when it is read for the write, so
/// the plan is a guess about the disk that the write checks.
/// </summary>
public sealed record DeltaPlan(IReadOnlyList<DeltaStep> Steps)
{
    public long FetchBytes => Steps.Where(s => s.Source == ChunkSource.Fetch).DistinctBy(s => s.Chunk.Sha256).Sum(s => (long)s.Chunk.Length);
    public long InPlaceBytes => Steps.Where(s => s.Source == ChunkSource.InPlace).Sum(s => (long)s.Chunk.Length);
    public long MovedBytes => Steps.Where(s => s.Source == ChunkSource.Moved).Sum(s => (long)s.Chunk.Length);

    /// <summary>The distinct chunks to fetch, each once however often the image repeats it.</summary>
    public IReadOnlyList<Chunk> ToFetch => Steps.Where(s => s.Source == ChunkSource.Fetch).Select(s => s.Chunk).DistinctBy(c => c.Sha256).ToList();

    /// <param name="image">the new image's index</param>
    /// <param name="seed">the target disk as it is (read only)</param>
    /// <param name="seedRegionStarts">the seed's partition boundaries, as its own GPT gives them (none for a blank disk), from the seed's start</param>
    /// <param name="seedStart">where on the target the seed begins: a seed may be one partition of it (the running A/B slot)</param>
    public static async Task<DeltaPlan> CreateAsync(ChunkIndex image, Stream seed, long seedLength, IEnumerable<long> seedRegionStarts, CancellationToken cancellationToken,
        long seedStart = 0)
    {
        var onSeed = new Dictionary<string, long>(StringComparer.Ordinal);
        var atOffset = new Dictionary<long, string>();
        foreach (var chunk in await DiskChunker.ChunkAsync(seed, seedLength, seedRegionStarts, null, cancellationToken))
        {
            onSeed.TryAdd(chunk.Sha256, seedStart + chunk.Offset);
            atOffset[seedStart + chunk.Offset] = chunk.Sha256;
        }

        var steps = image.Chunks.Select(chunk =>
            atOffset.TryGetValue(chunk.Offset, out var there) && there == chunk.Sha256 ? new DeltaStep(chunk, ChunkSource.InPlace, chunk.Offset)
            : onSeed.TryGetValue(chunk.Sha256, out var elsewhere) ? new DeltaStep(chunk, ChunkSource.Moved, elsewhere)
            : new DeltaStep(chunk, ChunkSource.Fetch, -1)).ToList();
        return new DeltaPlan(steps);
    }
}
