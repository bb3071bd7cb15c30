using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using ImagePipeline.ArtifactStore;

namespace ImagePipeline.BootService.Images;

/// <summary>
/// A boot service at a site, away from the pipeline server's artifact store, keeps its own copy of
/// what it serves and pulls what it lacks from the server (<c>/api/v1/artifacts</c>, with an
/// operator's token) the first time a machine needs it: an image's manifest, chunk index and
/// signatures when a machine is told to deploy it, its stream when one asks for the whole stream,
/// and single chunks when delta writes ask for them. However many machines ask at once, each file
/// and each chunk crosses the WAN once (one pull in flight per name); a chunk is kept only if it
/// decompresses to its digest, the index only if it is what the manifest records; the image and
/// its index are checked again by the agent against the promotion's signatures.
/// </summary>
public sealed class SiteCache(HttpClient upstream, string artifactsDirectory, string chunksDirectory)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> pulling = new(StringComparer.Ordinal);
    private long chunksPulled;
    private long bytesPulled;
    private long filesPulled;

    /// <summary>Pulls from the server at <paramref name="upstream"/> with <paramref name="token"/>.</summary>
    public static SiteCache Create(Uri upstream, string token, string artifactsDirectory, string chunksDirectory)
    {
        var http = new HttpClient { BaseAddress = upstream, Timeout = TimeSpan.FromMinutes(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new SiteCache(http, artifactsDirectory, chunksDirectory);
    }

    public SiteCacheStatistics Statistics => new(Interlocked.Read(ref chunksPulled), Interlocked.Read(ref filesPulled), Interlocked.Read(ref bytesPulled));

    /// <summary>
    /// Makes sure the image's manifest, chunk index and signatures are here (the stream follows on
    /// demand, <see cref="EnsureStreamAsync"/>). False when the server has no such image.
    /// </summary>
    public async Task<bool> EnsureImageAsync(string imageId, CancellationToken cancellationToken)
    {
        var directory = ArtifactStoreLayout.ImageDirectory(artifactsDirectory, imageId);
        if (File.Exists(Path.Combine(directory, ArtifactStoreLayout.Manifest)))
            return true;
        return await OnceAsync($"image {imageId}", Path.Combine(directory, ArtifactStoreLayout.Manifest), async () =>
        {
            var staging = Directory.CreateDirectory(Path.Combine(artifactsDirectory, $".pull-{imageId}-{Guid.NewGuid():N}")).FullName;
            try
            {
                if (!await PullAsync($"api/v1/artifacts/images/{imageId}/{ArtifactStoreLayout.Manifest}", Path.Combine(staging, ArtifactStoreLayout.Manifest), cancellationToken))
                    return false;
                foreach (var file in new[] { ArtifactStoreLayout.ChunkIndex, ArtifactStoreLayout.ChunkIndexSignature, ArtifactStoreLayout.Signature })
                    await PullAsync($"api/v1/artifacts/images/{imageId}/{file}", Path.Combine(staging, file), cancellationToken);
                CheckAgainstManifest(staging, ArtifactStoreLayout.ChunkIndex);
                Directory.CreateDirectory(artifactsDirectory);
                try
                {
                    Directory.Move(staging, directory);
                }
                catch (IOException) when (Directory.Exists(directory))
                {
                    // Pulled by another process sharing this store: theirs is the same.
                }

                return true;
            }
            finally
            {
                if (Directory.Exists(staging))
                    Directory.Delete(staging, recursive: true);
            }
        });
    }

    /// <summary>Makes sure the image's zstd stream is here, checked against the SHA-256 its manifest records. False when the server has none.</summary>
    public async Task<bool> EnsureStreamAsync(string imageId, CancellationToken cancellationToken)
    {
        var directory = ArtifactStoreLayout.ImageDirectory(artifactsDirectory, imageId);
        var stream = Path.Combine(directory, ArtifactStoreLayout.CompressedDisk);
        if (File.Exists(stream))
            return true;
        if (!await EnsureImageAsync(imageId, cancellationToken))
            return false;
        return await OnceAsync($"stream {imageId}", stream, async () =>
        {
            var temporary = Path.Combine(directory, $".{ArtifactStoreLayout.CompressedDisk}.{Guid.NewGuid():N}.pull");
            try
            {
                if (!await PullAsync($"api/v1/artifacts/images/{imageId}/{ArtifactStoreLayout.CompressedDisk}", temporary, cancellationToken))
                    return false;
                var expected = ArtifactStoreLayout.ReadArtifactSha256(Path.Combine(directory, ArtifactStoreLayout.Manifest), ArtifactStoreLayout.CompressedDisk);
                await using (var pulled = File.OpenRead(temporary))
                {
                    var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(pulled, cancellationToken));
                    if (actual != expected)
                        throw new InvalidDataException($"the server sent {ArtifactStoreLayout.CompressedDisk} of image {imageId} with SHA-256 {actual}, but its manifest records {expected ?? "none"}");
                }

                File.Move(temporary, stream, overwrite: true);
                return true;
            }
            finally
            {
                File.Delete(temporary);
            }
        });
    }

    /// <summary>Makes sure the chunk is in the local chunk store. False when the server has none.</summary>
    /// <exception cref="InvalidDataException">the server sent bytes that are not the chunk</exception>
    public async Task<bool> EnsureChunkAsync(string sha256, CancellationToken cancellationToken)
    {
        var path = ArtifactStoreLayout.ChunkPath(chunksDirectory, sha256);
        if (File.Exists(path))
            return true;
        var pulled = await OnceAsync($"chunk {sha256}", path, async () =>
        {
            using var response = await upstream.GetAsync($"api/v1/artifacts/chunks/{sha256}", cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
                return false;
            await ThrowIfFailedAsync(response, $"chunk {sha256}", cancellationToken);
            var frame = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            byte[] bytes;
            try
            {
                using var decompressor = new ZstdSharp.Decompressor();
                bytes = decompressor.Unwrap(frame).ToArray();
            }
            catch (ZstdSharp.ZstdException e)
            {
                throw new InvalidDataException($"the server sent chunk {sha256} as bytes that are not zstd ({e.Message})", e);
            }

            var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (actual != sha256)
                throw new InvalidDataException($"the server sent chunk {sha256} as bytes with SHA-256 {actual}");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = $"{path}.{Guid.NewGuid():N}.pull";
            await File.WriteAllBytesAsync(temporary, frame, cancellationToken);
            File.Move(temporary, path, overwrite: true);
            Interlocked.Increment(ref chunksPulled);
            Interlocked.Add(ref bytesPulled, frame.Length);
            return true;
        });
        return pulled;
    }

    /// <summary>
    /// One pull in flight per name: whoever asks while it runs waits for the same one; a failed pull
    /// is tried again by the next asker. <paramref name="result"/> is looked for again first: an
    /// asker that missed it just before a pull ended finds it here instead of pulling twice.
    /// </summary>
    private async Task<bool> OnceAsync(string name, string result, Func<Task<bool>> pull)
    {
        var entry = pulling.GetOrAdd(name, _ => new Lazy<Task<bool>>(() => File.Exists(result) ? Task.FromResult(true) : pull()));
        try
        {
            return await entry.Value;
        }
        finally
        {
            pulling.TryRemove(new KeyValuePair<string, Lazy<Task<bool>>>(name, entry));
        }
    }

    /// <returns>false when the server has no such file</returns>
    private async Task<bool> PullAsync(string path, string destination, CancellationToken cancellationToken)
    {
        using var response = await upstream.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return false;
        await ThrowIfFailedAsync(response, path, cancellationToken);
        await using (var file = File.Create(destination))
            await response.Content.CopyToAsync(file, cancellationToken);
        Interlocked.Increment(ref filesPulled);
        Interlocked.Add(ref bytesPulled, new FileInfo(destination).Length);
        return true;
    }

    /// <summary>A file the manifest lists must be what it records; one that was not pulled (the image has none) is fine.</summary>
    private static void CheckAgainstManifest(string directory, string file)
    {
        var path = Path.Combine(directory, file);
        if (!File.Exists(path))
            return;
        var expected = ArtifactStoreLayout.ReadArtifactSha256(Path.Combine(directory, ArtifactStoreLayout.Manifest), file);
        var actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        if (actual != expected)
            throw new InvalidDataException($"the server sent {file} with SHA-256 {actual}, but the image's manifest records {expected ?? "none"}");
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var detail = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
        throw new HttpRequestException($"the pipeline server answered {(int)response.StatusCode} for {what}{(detail.Length == 0 ? "" : $": {detail}")}"
            + (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? "; give bootsvc an operator's API token (--upstream-token-file)" : ""), null, response.StatusCode);
    }
}

/// <summary>What the site cache pulled from the pipeline server since the boot service started.</summary>
public sealed record SiteCacheStatistics(long ChunksPulled, long FilesPulled, long BytesPulled);
