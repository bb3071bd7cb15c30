using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ImagePipeline.BootService.Http;

/// <summary>
/// Sends a boot file or image: ETag and Last-Modified, conditional GET (If-None-Match → 304), a
/// single byte range (RFC 9110 §14; If-Range honoured, several ranges answered with the whole
/// file, an unsatisfiable one with 416). The body is read with pread straight into Kestrel's
/// output buffers in 1 MiB pieces: one copy fewer than the framework's file result, which is what
/// brings an image download near nginx's sendfile (see <c>imagepipe bench http</c>).
/// </summary>
public sealed class FileResponse(FileInfo file) : IResult
{
    private const int Chunk = 1 << 20;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var http = httpContext;
        var request = http.Request;
        var response = http.Response;
        var length = file.Length;
        var modified = file.LastWriteTimeUtc;
        var etag = $"\"{length:x}-{modified.Ticks:x}\"";
        response.Headers.ETag = etag;
        response.Headers.LastModified = HeaderUtilities.FormatDate(modified);
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = "application/octet-stream";

        if (Matches(request.Headers.IfNoneMatch.ToString(), etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        long start = 0;
        var count = length;
        var range = request.Headers.Range.ToString();
        var ifRange = request.Headers.IfRange.ToString();
        if (range.Length > 0 && (ifRange.Length == 0 || ifRange == etag))
        {
            var parsed = ParseRange(range, length);
            if (parsed is { Satisfiable: false })
            {
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = $"bytes */{length}";
                return;
            }

            if (parsed is { } r)
            {
                (start, count) = (r.Start, r.Count);
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = $"bytes {start}-{start + count - 1}/{length}";
            }
        }

        response.ContentLength = count;
        if (HttpMethods.IsHead(request.Method) || count == 0)
            return;

        using var handle = File.OpenHandle(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        var writer = response.BodyWriter;
        var end = start + count;
        for (var offset = start; offset < end;)
        {
            var memory = writer.GetMemory(Chunk);
            var want = (int)Math.Min(Math.Min(memory.Length, Chunk), end - offset);
            var read = RandomAccess.Read(handle, memory.Span[..want], offset);
            if (read == 0)
                throw new IOException($"{file.FullName} became shorter while it was being sent");
            writer.Advance(read);
            offset += read;
            var flushed = await writer.FlushAsync(http.RequestAborted);
            if (flushed.IsCanceled || flushed.IsCompleted)
                return;
        }
    }

    private static bool Matches(string ifNoneMatch, string etag) =>
        ifNoneMatch.Length > 0 && (ifNoneMatch.Trim() == "*" || ifNoneMatch.Split(',').Any(t => t.Trim() == etag || t.Trim() == "W/" + etag));

    /// <summary>One "bytes=" range, or null to send the whole file (not a bytes range, or several ranges).</summary>
    private static (long Start, long Count, bool Satisfiable)? ParseRange(string header, long length)
    {
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(',', StringComparison.Ordinal))
            return null;
        var spec = header["bytes=".Length..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
            return null;
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        const NumberStyles digits = NumberStyles.None;
        if (first.Length == 0)
        {
            // A suffix: the last N bytes.
            if (!long.TryParse(last, digits, CultureInfo.InvariantCulture, out var suffix))
                return null;
            if (suffix == 0 || length == 0)
                return (0, 0, false);
            var n = Math.Min(suffix, length);
            return (length - n, n, true);
        }

        if (!long.TryParse(first, digits, CultureInfo.InvariantCulture, out var from))
            return null;
        if (from >= length)
            return (0, 0, false);
        var to = length - 1;
        if (last.Length > 0)
        {
            if (!long.TryParse(last, digits, CultureInfo.InvariantCulture, out to) || to < from)
                return null;
            to = Math.Min(to, length - 1);
        }

        return (from, to - from + 1, true);
    }
}
