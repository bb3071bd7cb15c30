using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Agent.Signing;
using ImagePipeline.Agent.Transport;
using ZstdSharp;

namespace ImagePipeline.Agent.Writing;

/// <summary>
/// Streams an image onto a disk so that only a complete, verified image can ever boot. Download
/// (resuming), zstd decoding, SHA-256 and writing all happen here, with no shell pipe to lose an
/// exit status. Everything except the first MiB is written as it arrives; the first MiB (the
/// protective MBR and the primary GPT: what makes the disk bootable) is held in memory and written
/// last, only after the decoded length, the hash and the signature are right, and after the
/// deployer's own edits of it (<see cref="HeadFinisher"/>: the grown partition table, the agent's
/// configuration) — this class is the one place that writes it. Any failure before that leaves the
/// first MiB exactly as it was, so the machine netboots again instead of booting a half-written disk.
/// </summary>
public sealed class ImageWriter(IImageTransport transport, WriteOptions options, TimeProvider clock)
{
    public const int HeadBytes = 1 << 20;
    private const int ChunkBytes = 4 << 20;
    private const int ChunksInFlight = 4;

    /// <param name="finish">the deployer's edits of the verified image's first MiB before it is written; null for none</param>
    public async Task<WriteResult> WriteAsync(WriteRequest request, IBlockDevice target, Action<WriteProgress>? progress, HeadFinisher? finish, CancellationToken cancellationToken)
    {
        WriteGuards.Check(request, target);
        // The signature covers the SHA-256 the boot service announced: checked before a byte is fetched or
        // written, so an image this environment must not write leaves the whole disk as it was. The stream
        // must then hash to exactly that digest.
        WriteGuards.CheckSignature(request, options);
        var watch = Stopwatch.StartNew();
        await using var download = new ResumingStream(transport, request.Url, options.Resume, clock, options.Link);
        await using var decoded = request.Encoding == "zstd" ? new DecompressionStream(download, leaveOpen: true) : (Stream)download;
        var head = new byte[Math.Min(HeadBytes, request.SizeBytes)];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var toHash = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(ChunksInFlight) { SingleReader = true, SingleWriter = true });
        var toWrite = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(ChunksInFlight) { SingleReader = true, SingleWriter = true });
        var free = Channel.CreateUnbounded<AlignedBuffer>();
        var buffers = Enumerable.Range(0, ChunksInFlight + 2).Select(_ => new AlignedBuffer(ChunkBytes)).ToList();
        foreach (var buffer in buffers)
            free.Writer.TryWrite(buffer);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            // Three stages: download + decode here; SHA-256 and the disk writes each on their own
            // thread, reading the same buffers. Hashing is the slowest (~1.5 GB/s with SHA-NI), so
            // the writes and the decoding hide behind it.
            var hasher = Task.Run(() => HashAsync(toHash.Reader, free.Writer, hash, stop.Token), stop.Token);
            var writer = Task.Run(() => WriteChunksAsync(toWrite.Reader, free.Writer, request, target, head, watch, progress, stop.Token), stop.Token);
            _ = Task.WhenAny(hasher, writer).ContinueWith(t => { if (t.Result.IsFaulted) stop.Cancel(); }, TaskScheduler.Default);
            long decodedBytes;
            try
            {
                decodedBytes = await ProduceAsync(decoded, toHash.Writer, toWrite.Writer, free.Reader, request.SizeBytes, stop.Token);
            }
            catch (Exception e)
            {
                toHash.Writer.TryComplete(e);
                toWrite.Writer.TryComplete(e);
                await Task.WhenAll(hasher, writer).ContinueWith(_ => { }, TaskScheduler.Default);
                if (writer.IsFaulted)
                    throw Refusal(writer.Exception!.InnerException!);
                throw Refusal(e);
            }

            toHash.Writer.Complete();
            toWrite.Writer.Complete();
            await hasher;
            var written = await writer;
            if (decodedBytes != request.SizeBytes)
                throw new DeployRefusedException($"the image stream ended after {decodedBytes} of {request.SizeBytes} bytes (truncated)");
            var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (digest != request.Sha256)
                throw new DeployRefusedException($"SHA-256 of the written image is {digest}, expected {request.Sha256}: the stream is corrupt or is another image");

            WriteGuards.MakeBootable(request, target, head, finish, options);
            return new WriteResult(request.SizeBytes, written + head.Length, download.Resumes, watch.Elapsed) { BytesFetched = download.Position };
        }
        finally
        {
            foreach (var buffer in buffers)
                ((IDisposable)buffer).Dispose();
        }
    }

    private static async Task<long> ProduceAsync(Stream decoded, ChannelWriter<Chunk> toHash, ChannelWriter<Chunk> toWrite, ChannelReader<AlignedBuffer> free,
        long size, CancellationToken cancellationToken)
    {
        long position = 0;
        while (true)
        {
            var buffer = await free.ReadAsync(cancellationToken);
            var filled = 0;
            while (filled < ChunkBytes)
            {
                var read = await decoded.ReadAsync(buffer.Memory[filled..], cancellationToken);
                if (read == 0)
                    break;
                filled += read;
                if (position + filled > size)
                    throw new DeployRefusedException($"the image stream is longer than the announced {size} bytes; refusing to write past it");
            }

            if (filled == 0)
                return position;
            var chunk = new Chunk(buffer, position, filled);
            await toHash.WriteAsync(chunk, cancellationToken);
            await toWrite.WriteAsync(chunk, cancellationToken);
            position += filled;
            if (filled < ChunkBytes)
                return position;
        }
    }

    private static async Task HashAsync(ChannelReader<Chunk> chunks, ChannelWriter<AlignedBuffer> free, IncrementalHash hash, CancellationToken cancellationToken)
    {
        await foreach (var chunk in chunks.ReadAllAsync(cancellationToken))
        {
            hash.AppendData(chunk.Buffer.Memory.Span[..chunk.Length]);
            chunk.Release(free);
        }
    }

    private static async Task<long> WriteChunksAsync(ChannelReader<Chunk> chunks, ChannelWriter<AlignedBuffer> free, WriteRequest request, IBlockDevice target,
        byte[] head, Stopwatch watch, Action<WriteProgress>? progress, CancellationToken cancellationToken)
    {
        long written = 0;
        var lastReport = TimeSpan.Zero;
        await foreach (var chunk in chunks.ReadAllAsync(cancellationToken))
        {
            var data = chunk.Buffer.Memory[..chunk.Length];
            var offset = chunk.Offset;
            if (offset < head.Length)
            {
                var inHead = (int)Math.Min(head.Length - offset, chunk.Length);
                data.Span[..inHead].CopyTo(head.AsSpan((int)offset));
                data = data[inHead..];
                offset += inHead;
            }

            written += WriteSkippingZeros(target, offset, data.Span);

            chunk.Release(free);
            var done = chunk.Offset + chunk.Length;
            if (progress is not null && (watch.Elapsed - lastReport >= TimeSpan.FromSeconds(1) || done == request.SizeBytes))
            {
                lastReport = watch.Elapsed;
                var rate = done / Math.Max(watch.Elapsed.TotalSeconds, 1e-3);
                progress(new WriteProgress("writing", done, request.SizeBytes, rate, rate > 0 ? (request.SizeBytes - done) / rate : null));
            }
        }

        return written;
    }

    /// <summary>
    /// Writes <paramref name="data"/>, leaving out 64 KiB blocks of zeros when the target reads
    /// back zeros anyway; the blocks between are written as few large writes. Returns bytes written.
    /// </summary>
    private static long WriteSkippingZeros(IBlockDevice target, long offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return 0;
        if (!target.ReadsBackZeros)
        {
            target.Write(offset, data);
            return data.Length;
        }

        const int block = 64 * 1024;
        long written = 0;
        var runStart = -1;
        for (var at = 0; at <= data.Length; at += block)
        {
            var zero = at < data.Length && data.Slice(at, Math.Min(block, data.Length - at)).IndexOfAnyExcept((byte)0) < 0;
            var end = at >= data.Length;
            if (!zero && !end && runStart < 0)
                runStart = at;
            if ((zero || end) && runStart >= 0)
            {
                var run = data[runStart..Math.Min(at, data.Length)];
                target.Write(offset + runStart, run);
                written += run.Length;
                runStart = -1;
            }
        }

        return written;
    }

    /// <summary>What the decoder or transport threw, as a refusal with the reason.</summary>
    private static DeployRefusedException Refusal(Exception e) => e switch
    {
        DeployRefusedException refused => refused,
        EndOfStreamException => new DeployRefusedException("the image stream ended in the middle of a zstd frame (truncated)", e),
        ZstdException or InvalidDataException => new DeployRefusedException($"the image stream is not valid zstd ({e.Message}): corrupt bytes, or not the image", e),
        OperationCanceledException => new DeployRefusedException("the deployment was cancelled", e),
        _ => new DeployRefusedException($"the image could not be read: {e.Message}", e),
    };

    /// <summary>A decoded piece, shared by the hasher and the writer; its buffer is reused once both are done with it.</summary>
    private sealed class Chunk(AlignedBuffer buffer, long offset, int length)
    {
        private int users = 2;

        public AlignedBuffer Buffer => buffer;
        public long Offset => offset;
        public int Length => length;

        public void Release(ChannelWriter<AlignedBuffer> free)
        {
            if (Interlocked.Decrement(ref users) == 0)
                free.TryWrite(buffer);
        }
    }
}
