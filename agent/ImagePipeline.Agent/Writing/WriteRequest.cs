namespace ImagePipeline.Agent.Writing;

/// <summary>What to write: the image's URL and how to know it is the right one.</summary>
/// <param name="Url">served with Range support</param>
/// <param name="Encoding">"zstd" or "raw"</param>
/// <param name="SizeBytes">the decoded image size</param>
/// <param name="Sha256">lower-case hex SHA-256 of the decoded image</param>
/// <param name="Signature">base64 ECDSA P-256 signature over the SHA-256 digest; null for an unsigned image</param>
public sealed record WriteRequest(Uri Url, string Encoding, long SizeBytes, string Sha256, string? Signature);
