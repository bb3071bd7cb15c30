using System.Security.Cryptography;
using CliWrap;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Chunks;

namespace ImagePipeline.Agent.Tests.Support;

/// <summary>
/// Two builds of one small GPT disk (sfdisk's table, an "ESP" and a "root" of random bytes): the
/// second changes 40 KiB in the first partition and inserts 5,000 bytes into the second, which
/// shifts everything after them in that partition — a changed file, and a file that grew. Or,
/// <c>swapped</c>, the second has two MiB of the root trade places: copies that wait on each other.
/// </summary>
internal sealed class DeltaImages
{
    public const int Size = 8 << 20;
    private const long RootStart = 6144L * 512;
    private const long RootEnd = (6144L + 8192) * 512;

    private DeltaImages(byte[] previous, byte[] next)
    {
        Previous = previous;
        Next = next;
        NextSha256 = Convert.ToHexStringLower(SHA256.HashData(next));
    }

    public byte[] Previous { get; }
    public byte[] Next { get; }
    public string NextSha256 { get; }

    public static async Task<DeltaImages> CreateAsync(CancellationToken cancellationToken, bool swapped = false)
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, new byte[Size], cancellationToken);
            await Cli.Wrap("sfdisk").WithArguments(["-q", path])
                .WithStandardInputPipe(PipeSource.FromString("label: gpt\nstart=2048, size=4096, type=uefi\nstart=6144, size=8192, type=linux\n"))
                .ExecuteAsync(cancellationToken);
            var previous = await File.ReadAllBytesAsync(path, cancellationToken);
            var random = new Random(21);
            random.NextBytes(previous.AsSpan(2048 * 512, 4096 * 512));
            random.NextBytes(previous.AsSpan((int)RootStart, (int)(RootEnd - RootStart)));

            var next = (byte[])previous.Clone();
            if (swapped)
            {
                var first = (int)RootStart + (1 << 20);
                previous.AsSpan(first, 1 << 20).CopyTo(next.AsSpan(first + (1 << 20)));
                previous.AsSpan(first + (1 << 20), 1 << 20).CopyTo(next.AsSpan(first));
                return new DeltaImages(previous, next);
            }

            random.NextBytes(next.AsSpan((3 << 20) / 2, 40 * 1024));
            var insertAt = (int)RootStart + (1 << 20);
            var inserted = new byte[5000];
            random.NextBytes(inserted);
            previous.AsSpan(insertAt, (int)RootEnd - insertAt - inserted.Length).CopyTo(next.AsSpan(insertAt + inserted.Length));
            inserted.CopyTo(next.AsSpan(insertAt));
            return new DeltaImages(previous, next);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>An image's chunks as the builder cuts them (at its partitions), and each chunk's zstd frame by digest.</summary>
    public static async Task<(ChunkIndex Index, Dictionary<string, byte[]> Store)> ChunkAsync(byte[] disk, CancellationToken cancellationToken)
    {
        using var device = new FakeBlockDevice(disk.Length);
        disk.CopyTo(device.Content, 0);
        var regions = PartitionTable.Read(device).ShouldNotBeNull().SelectMany(p => new[] { p.Start, p.End });
        var store = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var compressor = new ZstdSharp.Compressor(3);
        var chunks = await DiskChunker.ChunkAsync(new MemoryStream(disk), disk.Length, regions, (chunk, bytes) =>
        {
            store.TryAdd(chunk.Sha256, compressor.Wrap(bytes.Span).ToArray());
            return ValueTask.CompletedTask;
        }, cancellationToken);
        return (new ChunkIndex(disk.Length, chunks), store);
    }
}
