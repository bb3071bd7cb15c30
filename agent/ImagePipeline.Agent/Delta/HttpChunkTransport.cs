using System.Net;
using System.Net.Http.Headers;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Delta;

/// <summary>
/// Chunk index and chunk batches from the boot service, with the machine's token. A refusal (4xx)
/// is a <see cref="ChunkRequestRefusedException"/> with the service's reason, not worth asking again;
/// anything else that fails is an <see cref="HttpRequestException"/> or <see cref="IOException"/> to retry.
/// </summary>
public sealed class HttpChunkTransport(HttpClient http, AuthenticationHeaderValue? authorization = null) : IChunkTransport
{
    public async Task<byte[]> GetIndexAsync(Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = authorization;
        using var response = await http.SendAsync(request, cancellationToken);
        await ThrowIfFailedAsync(response, url, cancellationToken);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    public async Task<ChunkBatch> GetChunksAsync(Uri url, IReadOnlyList<string> digests, CancellationToken cancellationToken)
    {
        var body = new byte[digests.Count * DeltaRoutes.DigestBytes];
        for (var i = 0; i < digests.Count; i++)
            Convert.FromHexString(digests[i]).CopyTo(body, i * DeltaRoutes.DigestBytes);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(DeltaRoutes.RequestType);
        request.Headers.Authorization = authorization;
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            await ThrowIfFailedAsync(response, url, cancellationToken);
            return new ChunkBatch(new ResponseOwningStream(await response.Content.ReadAsStreamAsync(cancellationToken), response), response.Content.Headers.ContentLength);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, Uri url, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var detail = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
        var message = $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}{(detail.Length == 0 ? "" : $": {detail}")}";
        if (response.StatusCode is >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError and not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests)
            throw new ChunkRequestRefusedException(message);
        throw new HttpRequestException(message, null, response.StatusCode);
    }

    /// <summary>The body stream, disposing its response with it.</summary>
    private sealed class ResponseOwningStream(Stream inner, HttpResponseMessage response) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>The boot service refused a chunk request (4xx): asking again would get the same answer.</summary>
public sealed class ChunkRequestRefusedException(string message) : Exception(message);
