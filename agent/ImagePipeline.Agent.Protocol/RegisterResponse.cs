namespace ImagePipeline.Agent.Protocol;

/// <summary>
/// The boot service's answer to <see cref="RegisterRequest"/>. Without an assignment the machine
/// was only discovered: the agent powers it off (or waits) until someone gives it an image.
/// </summary>
public sealed record RegisterResponse(string MachineId, Assignment? Assignment);

/// <summary>What to write to which disk.</summary>
public sealed record Assignment
{
    public required string ImageId { get; init; }
    /// <summary>Absolute URL of the image, served with Range support.</summary>
    public required string ImageUrl { get; init; }
    /// <summary>"zstd" or "raw": how the bytes at <see cref="ImageUrl"/> are encoded.</summary>
    public required string Encoding { get; init; }
    /// <summary>Size of the decoded image in bytes.</summary>
    public required long SizeBytes { get; init; }
    /// <summary>Lower-case hex SHA-256 of the decoded image.</summary>
    public required string Sha256 { get; init; }
    /// <summary>Detached signature over <see cref="Sha256"/>, base64; absent for unpromoted images.</summary>
    public string? Signature { get; init; }
    public required TargetDiskRule Target { get; init; }
    public bool GrowRoot { get; init; }
    public bool VerifyAfterWrite { get; init; }
    /// <summary>Where the image's chunks are, for a delta write onto a disk that already holds an image; absent for images built without a chunk index.</summary>
    public DeltaSource? Delta { get; init; }
}

/// <summary>
/// An image's chunk index and where its chunks are served (<see cref="DeltaRoutes"/>). The index
/// names every chunk by its SHA-256; <see cref="IndexSignature"/> (the promotion's, see
/// <see cref="ChunkIndexStatement"/>) makes those names as trustworthy as the image's own signature.
/// </summary>
/// <param name="IndexUrl">absolute URL of <c>chunks.idx</c></param>
/// <param name="IndexSha256">the index's SHA-256, from the image's manifest</param>
/// <param name="IndexSignature">the promotion's signature over the index (base64), absent for unpromoted images</param>
/// <param name="ChunksUrl">absolute URL a batch of chunks is asked for at (POST)</param>
public sealed record DeltaSource(string IndexUrl, string IndexSha256, string? IndexSignature, string ChunksUrl);

/// <summary>Which disk to write: an explicit serial or device path, else the smallest non-removable disk that fits.</summary>
public sealed record TargetDiskRule(string? Serial = null, string? Path = null);
