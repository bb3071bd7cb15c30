using System.Security.Cryptography;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Signing;

/// <summary>
/// Image signatures: ECDSA P-256 over the image's SHA-256 digest (the 32 bytes, IEEE P1363
/// format, base64). Promotion signs; the agent verifies with the public key baked into its
/// deploy environment, never one that arrives over the network.
/// </summary>
public static class ImageSignature
{
    public static bool Verify(string sha256Hex, string signatureBase64, string publicKeyPem) =>
        VerifyDigest(Convert.FromHexString(sha256Hex), signatureBase64, publicKeyPem);

    /// <summary>The promotion's signature over a chunk index (<see cref="ChunkIndexStatement"/>) whose SHA-256 is <paramref name="indexSha256Hex"/>.</summary>
    public static bool VerifyChunkIndex(string indexSha256Hex, string signatureBase64, string publicKeyPem) =>
        VerifyDigest(ChunkIndexStatement.Digest(indexSha256Hex), signatureBase64, publicKeyPem);

    private static bool VerifyDigest(byte[] digest, string signatureBase64, string publicKeyPem)
    {
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureBase64);
        }
        catch (FormatException)
        {
            return false;
        }

        using var key = ECDsa.Create();
        key.ImportFromPem(publicKeyPem);
        return key.VerifyHash(digest, signature);
    }

    public static string Sign(string sha256Hex, ECDsa privateKey) => Convert.ToBase64String(privateKey.SignHash(Convert.FromHexString(sha256Hex)));

    public static string SignChunkIndex(string indexSha256Hex, ECDsa privateKey) => Convert.ToBase64String(privateKey.SignHash(ChunkIndexStatement.Digest(indexSha256Hex)));
}
