using System.Security.Cryptography;
using System.Text;

namespace ImagePipeline.Builder.Caching;

/// <summary>
/// SHA-256 over a sequence of labelled fields. Each field is length-prefixed so that
/// ("ab","c") and ("a","bc") never collide.
/// </summary>
public sealed class DigestBuilder : IDisposable
{
    /// <summary>The SHA-256 of a file's bytes, lower-case hex (an image's id is that of its raw disk).</summary>
    public static async Task<string> Sha256FileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public DigestBuilder Add(string label, string value) => Add(label, Encoding.UTF8.GetBytes(value));

    public DigestBuilder Add(string label, ReadOnlySpan<byte> value)
    {
        Span<byte> length = stackalloc byte[8];
        var labelBytes = Encoding.UTF8.GetBytes(label);
        BitConverter.TryWriteBytes(length, (long)labelBytes.Length);
        hash.AppendData(length);
        hash.AppendData(labelBytes);
        BitConverter.TryWriteBytes(length, (long)value.Length);
        hash.AppendData(length);
        hash.AppendData(value);
        return this;
    }

    public string Finish() => Convert.ToHexStringLower(hash.GetHashAndReset());

    public void Dispose() => hash.Dispose();

    /// <summary>A deterministic GUID for <paramref name="purpose"/> within the build identified by <paramref name="digest"/> (RFC 9562 version 8).</summary>
    public static Guid DeriveGuid(string digest, string purpose)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(digest + "/" + purpose)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
