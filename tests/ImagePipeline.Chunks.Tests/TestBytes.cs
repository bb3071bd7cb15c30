using System.Security.Cryptography;

namespace ImagePipeline.Chunks.Tests;

internal static class TestBytes
{
    /// <summary>Bytes that look random but are the same on every run: SHA-256 in counter mode.</summary>
    public static byte[] Pseudorandom(int length, int seed)
    {
        var bytes = new byte[length];
        for (var block = 0; block * 32 < length; block++)
            SHA256.HashData(BitConverter.GetBytes(((long)seed << 32) | (uint)block)).AsSpan(0, Math.Min(32, length - block * 32)).CopyTo(bytes.AsSpan(block * 32));
        return bytes;
    }
}
