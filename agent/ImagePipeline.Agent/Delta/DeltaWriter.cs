using System.Diagnostics;
using System.Security.Cryptography;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Agent.Signing;
using ImagePipeline.Agent.Writing;
using ImagePipeline.Chunks;
using ZstdSharp;

namespace ImagePipeline.Agent.Delta;

/// <summary>
/// Writes an image onto a disk that already holds one by moving only what the disk lacks. The
/// image's chunk index (trusted as far as the image is: its SHA-256 from the manifest, and the
/// promotion's signature over it when images are signed here) names every chunk by its SHA-256;
/// the disk is cut at its own partitions with the builder's chunker (<see cref="DeltaPlan"/>);
/// chunks already in place cost nothing, chunks elsewhere on the disk are copied (and hashed again)
/// in an order that never writes over a source still to be read (<see cref="MovedChunkWriter"/>),
/// and the rest are fetched from the boot service in batches, each
/// chunk checked against its digest before it is written — a chunk that arrives damaged is asked
/// for again. The first MiB is written last, after the deployer's edits, as for a whole image
/// (<see cref="ImageWriter"/>). Where a delta cannot help — a disk without a partition table, an
/// index that cannot be trusted, more than half the image to fetch — it says why and returns
/// null, and the caller streams the whole image.
/// </summary>
public sealed class DeltaWriter(IChunkTransport transport, WriteOptions options, TimeProvider clock)
{
    /// <summary>A delta that would fetch more than this share of the image's bytes is not worth its round trips.</summary>
    public const double MostFetchedShare = 0.5;
    private const int BatchBytes = 16 << 20;

    /// <param name="say">one line for the console: what was found and decided</param>
    /// <returns>the write, or null when a delta cannot help here (said why); nothing was written then</returns>
    public async Task<WriteResult?> TryWriteAsync(WriteRequest request, DeltaSource source, IBlockDevice target, Action<WriteProgress>? progress,
        HeadFinisher? finish, Action<string> say, CancellationToken cancellationToken)
    {
        WriteGuards.Check(request, target);
        WriteGuards.CheckSignature(request, options);
        var watch = Stopwatch.StartNew();
        if (PartitionTable.Read(target) is not { } partitions)
        {
            say($"{target.Path} holds no partition table: nothing to start a delta from, writing the whole image");
            return null;
        }

        if (await ReadIndexAsync(request, source, say, cancellationToken) is not { } index)
            return null;
        var seedLength = Math.Min(target.Length, index.DiskLength);
        var plan = await DeltaPlan.CreateAsync(index, new BlockDeviceStream(target, seedLength), seedLength,
            partitions.SelectMany(p => new[] { p.Start, p.End }), cancellationToken);
        var fetchShare = (double)plan.FetchBytes / index.DiskLength;
        say($"{target.Path} already holds {(plan.InPlaceBytes + plan.MovedBytes) / 1048576.0:0.0} MiB of the image ({plan.MovedBytes / 1048576.0:0.0} MiB of it elsewhere); "
            + $"{plan.ToFetch.Count} chunks, {plan.FetchBytes / 1048576.0:0.0} MiB, to fetch ({fetchShare:P1}); compared in {watch.Elapsed.TotalSeconds:0.0} s");
        if (fetchShare > MostFetchedShare)
        {
            say($"more than {MostFetchedShare:P0} of the image would be fetched chunk by chunk: writing the whole image");
            return null;
        }

        var head = new byte[Math.Min(ImageWriter.HeadBytes, request.SizeBytes)];
        if (target.Read(0, head) != head.Length)
            throw new DeployRefusedException($"{target.Path} could not be read at its first {head.Length >> 10} KiB");
        var sink = new HeadHoldingSink(target, head);
        var (fetchedBytes, fetchedChunks, reused) = await MoveAndFetchAsync(plan, target, sink.Write, head.Length, source, watch, progress, say, cancellationToken);

        WriteGuards.MakeBootable(request, target, head, finish, options);
        return new WriteResult(request.SizeBytes, sink.Written + head.Length, 0, watch.Elapsed)
        {
            Method = "delta", BytesFetched = fetchedBytes, ChunksFetched = fetchedChunks, ChunksReused = reused,
        };
    }

    /// <summary>
    /// Carries out <paramref name="plan"/>: the copies on the disk first (every fetched chunk then
    /// goes where no copy still has to read), then the fetches, including copies whose source did
    /// not hash as planned.
    /// </summary>
    /// <param name="heldBytes">the disk's first bytes the caller holds back (read from there by the copies, not from the disk)</param>
    /// <returns>bytes and chunks fetched, chunks the disk already held</returns>
    private async Task<(long BytesFetched, int ChunksFetched, int ChunksReused)> MoveAndFetchAsync(DeltaPlan plan, IBlockDevice disk, Action<long, ReadOnlySpan<byte>> write,
        int heldBytes, DeltaSource source, Stopwatch watch, Action<WriteProgress>? progress, Action<string> say, CancellationToken cancellationToken)
    {
        var mover = new MovedChunkWriter(disk, write, heldBytes);
        var fetchSteps = mover.Write(plan.Steps.Where(s => s.Source == ChunkSource.Moved).ToList());
        if (mover.Held > 0 || fetchSteps.Count > 0)
            say($"moving chunks on the disk: {mover.Held} held in memory to break cycles (peak {mover.PeakHeldBytes / 1048576.0:0.0} MiB), {fetchSteps.Count} to fetch instead");
        fetchSteps.AddRange(plan.Steps.Where(s => s.Source == ChunkSource.Fetch));
        var (bytes, chunks) = await FetchAsync(source, fetchSteps, write, watch, progress, say, cancellationToken);
        return (bytes, chunks, plan.Steps.Count - fetchSteps.Count);
    }

    /// <summary>The index, if it is the image's: the digest the manifest gave, and the promotion's signature wherever this environment checks signatures.</summary>
    internal async Task<ChunkIndex?> ReadIndexAsync(WriteRequest request, DeltaSource source, Action<string> say, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await transport.GetIndexAsync(new Uri(source.IndexUrl), cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or ChunkRequestRefusedException)
        {
            say($"the chunk index could not be fetched ({e.Message}): writing the whole image");
            return null;
        }

        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (sha256 != source.IndexSha256)
        {
            say($"the chunk index has SHA-256 {sha256}, not the image's {source.IndexSha256}: writing the whole image");
            return null;
        }

        // Signed images are trusted through their signature: so must their index be, with the same key.
        if (request.Signature is not null && options.TrustedPublicKeyPem is { } key
            && (source.IndexSignature is not { } signature || !ImageSignature.VerifyChunkIndex(sha256, signature, key)))
        {
            say($"the chunk index {(source.IndexSignature is null ? "is not signed" : "has a signature that does not verify with the trusted key")}: writing the whole image");
            return null;
        }

        ChunkIndex index;
        try
        {
            index = ChunkIndex.Parse(bytes);
        }
        catch (FormatException e)
        {
            say($"the chunk index cannot be read ({e.Message}): writing the whole image");
            return null;
        }

        if (index.DiskLength != request.SizeBytes)
        {
            say($"the chunk index covers {index.DiskLength} bytes, not the image's {request.SizeBytes}: writing the whole image");
            return null;
        }

        return index;
    }

    /// <summary>
    /// Fetches the chunks of <paramref name="steps"/> (each distinct chunk once), in batches of at
    /// most <see cref="DeltaRoutes.MaxChunksPerRequest"/> chunks and ~16 MiB; writes each verified
    /// chunk wherever the image has it. A batch that breaks off or brings a chunk that fails its
    /// digest is asked for again from the first chunk not yet written, with the download's backoff,
    /// until <see cref="ResumePolicy.MaxConsecutiveFailures"/> tries in a row bring nothing.
    /// </summary>
    private async Task<(long Bytes, int Chunks)> FetchAsync(DeltaSource source, List<DeltaStep> steps, Action<long, ReadOnlySpan<byte>> write, Stopwatch watch,
        Action<WriteProgress>? progress, Action<string> say, CancellationToken cancellationToken)
    {
        var places = steps.GroupBy(s => s.Chunk.Sha256, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(s => s.Chunk.Offset).ToList(), StringComparer.Ordinal);
        var wanted = steps.Select(s => s.Chunk).DistinctBy(c => c.Sha256).ToList();
        var total = wanted.Sum(c => (long)c.Length);
        var url = new Uri(source.ChunksUrl);
        long fetched = 0;
        long done = 0;
        var next = 0;
        var failures = 0;
        var backoff = options.Resume.InitialBackoff;
        var lastReport = TimeSpan.Zero;
        // One buffer for every fetched chunk: the loop runs once per chunk of a delta, thousands of times.
        var buffer = new byte[GearChunker.MaximumSize];
        while (next < wanted.Count)
        {
            var batch = Batch(wanted, next);
            var before = next;
            try
            {
                using var response = await transport.GetChunksAsync(url, batch.Select(c => c.Sha256).ToList(), cancellationToken);
                fetched += response.Length ?? 0;
                await using var decoded = new DecompressionStream(response.Body, leaveOpen: true);
                foreach (var chunk in batch)
                {
                    var bytes = buffer.AsMemory(0, chunk.Length);
                    await decoded.ReadExactlyAsync(bytes, cancellationToken);
                    var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes.Span));
                    if (sha256 != chunk.Sha256)
                        throw new InvalidDataException($"chunk {chunk.Sha256} arrived as bytes with SHA-256 {sha256}");
                    foreach (var offset in places[chunk.Sha256])
                        write(offset, bytes.Span);
                    next++;
                    done += chunk.Length;
                    if (progress is not null && (watch.Elapsed - lastReport >= TimeSpan.FromSeconds(1) || next == wanted.Count))
                    {
                        lastReport = watch.Elapsed;
                        var rate = done / Math.Max(watch.Elapsed.TotalSeconds, 1e-3);
                        progress(new WriteProgress("fetching chunks", done, total, rate, rate > 0 ? (total - done) / rate : null));
                    }
                }
            }
            catch (ChunkRequestRefusedException e)
            {
                throw new DeployRefusedException($"the boot service refused the image's chunks: {e.Message}", e);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or ZstdException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                failures = next > before ? 1 : failures + 1;
                if (failures > options.Resume.MaxConsecutiveFailures)
                    throw new DeployRefusedException($"the image's chunks could not be fetched intact: {failures} tries in a row brought nothing usable; the last: {e.Message}", e);
                say($"chunk batch broke off after {next - before} of {batch.Count} chunks ({e.Message}); asking again for the rest");
                await Task.Delay(backoff, clock, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.Resume.MaxBackoff.Ticks));
                continue;
            }

            failures = 0;
            backoff = options.Resume.InitialBackoff;
        }

        return (fetched, wanted.Count);
    }

    /// <summary>The image's bytes in [0, <paramref name="length"/>) — its partition table — from its chunks, each checked against its digest.</summary>
    internal async Task<byte[]> FetchHeadAsync(DeltaSource source, ChunkIndex index, int length, Action<string> say, CancellationToken cancellationToken)
    {
        var head = new byte[length];
        var steps = index.Chunks.Where(c => c.Offset < length).Select(c => new DeltaStep(c, ChunkSource.Fetch, -1)).ToList();
        void Write(long offset, ReadOnlySpan<byte> data)
        {
            if (offset < length)
                data[..(int)Math.Min(data.Length, length - offset)].CopyTo(head.AsSpan((int)offset));
        }

        await FetchAsync(source, steps, Write, Stopwatch.StartNew(), null, say, cancellationToken);
        return head;
    }

    /// <summary>
    /// Puts <paramref name="chunks"/> (at the offsets on <paramref name="disk"/> where they belong)
    /// onto the disk: those found in <paramref name="seed"/> (a region of the disk: the running A/B
    /// slot) are copied from there, the rest fetched. Nothing is held back: the caller writes only
    /// where no running system reads (an inactive slot).
    /// </summary>
    /// <returns>bytes and chunks fetched, chunks the disk already held</returns>
    internal async Task<(long BytesFetched, int ChunksFetched, int ChunksReused)> ApplyAsync(IReadOnlyList<Chunk> chunks, DeltaSource source, IBlockDevice disk,
        (long Start, long Length) seed, Action<WriteProgress>? progress, Action<string> say, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var plan = await DeltaPlan.CreateAsync(new ChunkIndex(disk.Length, chunks), new BlockDeviceStream(disk, seed.Start, seed.Length), seed.Length, [], cancellationToken, seed.Start);
        say($"the running slot holds {plan.MovedBytes / 1048576.0:0.0} MiB of the new one; "
            + $"{plan.ToFetch.Count} chunks, {plan.FetchBytes / 1048576.0:0.0} MiB, to fetch; compared in {watch.Elapsed.TotalSeconds:0.0} s");
        var applied = await MoveAndFetchAsync(plan, disk, disk.Write, 0, source, watch, progress, say, cancellationToken);
        disk.Flush();
        return applied;
    }

    private static List<Chunk> Batch(List<Chunk> wanted, int from)
    {
        var batch = new List<Chunk>();
        long bytes = 0;
        for (var i = from; i < wanted.Count && batch.Count < DeltaRoutes.MaxChunksPerRequest && (batch.Count == 0 || bytes + wanted[i].Length <= BatchBytes); i++)
        {
            batch.Add(wanted[i]);
            bytes += wanted[i].Length;
        }

        return batch;
    }

    /// <summary>Writes to the disk, except what falls in the first MiB: that goes into the held head, written last.</summary>
    private sealed class HeadHoldingSink(IBlockDevice target, byte[] head)
    {
        public long Written { get; private set; }

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
            if (offset < head.Length)
            {
                var inHead = (int)Math.Min(head.Length - offset, data.Length);
                data[..inHead].CopyTo(head.AsSpan((int)offset));
                data = data[inHead..];
                offset += inHead;
            }

            if (data.IsEmpty)
                return;
            target.Write(offset, data);
            Written += data.Length;
        }
    }
}
