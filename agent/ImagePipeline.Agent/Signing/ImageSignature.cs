using System.Security.Cryptography;

namespace ImagePipeline.Agent.Signing;

/// <summary>
/// Image signatures: ECDSA P-256 over the image's SHA-256 digest (the 32 bytes, IEEE P1363
/// format, base64). Promotion signs; the agent verifies with the public key baked into its
/// deploy environment, never one that arrives over the network.
/// </summary>
public static class ImageSignature
{
    public static bool Verify(string sha256Hex, string signatureBase64, string publicKeyPem)
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
        return key.VerifyHash(Convert.FromHexString(sha256Hex), signature);
    }

    public static string Sign(string sha256Hex, ECDsa privateKey) => Convert.ToBase64String(privateKey.SignHash(Convert.FromHexString(sha256Hex)));
}
