namespace ImagePipeline.BootService.Images;

/// <summary>An image the agent can be told to write: what it is and where its files are served.</summary>
/// <param name="Id">the SHA-256 of the raw disk, which is also the decoded stream's expected hash</param>
/// <param name="SizeBytes">raw disk size</param>
/// <param name="GrowRoot">the recipe asks for the root partition to be grown to the end of the disk</param>
/// <param name="StreamFile">the file the agent downloads (disk.raw.zst), relative to the artifact store</param>
/// <param name="Signature">the promotion's signature over <paramref name="Id"/> (base64 ECDSA P-256), null for an image never approved</param>
/// <param name="ChunkIndex">the image's chunk index, for delta writes; null for an image built without one</param>
public sealed record BootImage(string Id, long SizeBytes, bool GrowRoot, string StreamFile, string? Signature = null, StoredChunkIndex? ChunkIndex = null);

/// <summary>An image's chunk index in the store: its file, its SHA-256 as the manifest records it, and the promotion's signature over it.</summary>
public sealed record StoredChunkIndex(string File, string Sha256, string? Signature);
