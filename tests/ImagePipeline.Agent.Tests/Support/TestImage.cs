using System.Security.Cryptography;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ImagePipeline.Agent.Tests.Support;

/// <summary>A disk image as the builder publishes it: raw bytes (data and long zero runs), its SHA-256, and its zstd stream.</summary>
internal sealed class TestImage
{
    public TestImage(int megabytes = 6)
    {
        Raw = new byte[megabytes << 20];
        var random = new Random(megabytes);
        // A partition table-like head, data, a zero gap, data: like a real disk.
        random.NextBytes(Raw.AsSpan(0, 64 * 1024));
        random.NextBytes(Raw.AsSpan(1 << 20, 2 << 20));
        random.NextBytes(Raw.AsSpan(Raw.Length - (1 << 20)));
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(Raw));
        using var compressor = new Compressor(3);
        compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        Zstd = compressor.Wrap(Raw).ToArray();
    }

    public byte[] Raw { get; }
    public string Sha256 { get; }
    public byte[] Zstd { get; }
}
