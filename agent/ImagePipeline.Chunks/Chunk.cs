namespace ImagePipeline.Chunks;

/// <summary>One chunk of an image: where it is on the disk, how long, and the SHA-256 of its bytes (its name in a chunk store).</summary>
public readonly record struct Chunk(long Offset, int Length, string Sha256);
