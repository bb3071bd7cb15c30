using ImagePipeline.Agent.Delta;

namespace ImagePipeline.Agent.Tests.Support;

/// <summary>
/// A boot service's chunk endpoints from memory: records every digest asked for, and can damage
/// chunks on the wire (their bytes changed before compression, so the frame decodes and only the
/// digest tells).
/// </summary>
internal sealed class MemoryChunkTransport(byte[] index, IReadOnlyDictionary<string, byte[]> store) : IChunkTransport
{
    private readonly object gate = new();

    /// <summary>Every digest asked for, in order, across all batches.</summary>
    public List<string> Asked { get; } = [];
    public int Batches { get; private set; }
    public int IndexRequests { get; private set; }
    /// <summary>How many more times each digest arrives damaged.</summary>
    public Dictionary<string, int> Damage { get; } = new(StringComparer.Ordinal);

    public Task<byte[]> GetIndexAsync(Uri url, CancellationToken cancellationToken)
    {
        IndexRequests++;
        return Task.FromResult(index);
    }

    public Task<ChunkBatch> GetChunksAsync(Uri url, IReadOnlyList<string> digests, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            Batches++;
            Asked.AddRange(digests);
            var body = new MemoryStream();
            foreach (var digest in digests)
            {
                var frame = store[digest];
                if (Damage.TryGetValue(digest, out var left) && left > 0)
                {
                    Damage[digest] = left - 1;
                    using var decompressor = new ZstdSharp.Decompressor();
                    var bytes = decompressor.Unwrap(frame).ToArray();
                    bytes[bytes.Length / 2] ^= 0x01;
                    using var compressor = new ZstdSharp.Compressor(3);
                    frame = compressor.Wrap(bytes).ToArray();
                }

                body.Write(frame);
            }

            body.Position = 0;
            return Task.FromResult(new ChunkBatch(body, body.Length));
        }
    }
}
