using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Agent.Tests.Support;

/// <summary>How the server misbehaves.</summary>
public sealed record Faults
{
    /// <summary>Abort the connection after this many body bytes, once per listed offset (request n uses entry n).</summary>
    public IReadOnlyList<long> DropAfter { get; init; } = [];
    /// <summary>Answer the first N requests with 503.</summary>
    public int ServerErrors { get; init; }
    /// <summary>Every response ends (cleanly, with a matching Content-Length) this many bytes early: a truncated file.</summary>
    public int TruncateBy { get; init; }
    /// <summary>Flip this byte of the file in every response.</summary>
    public long? CorruptAt { get; init; }
    /// <summary>Send the body in pieces of this size with this pause between them.</summary>
    public (int Bytes, TimeSpan Pause)? Drip { get; init; }
    /// <summary>After this many bytes of the first response, send nothing more (a stalled connection).</summary>
    public long? StallAfter { get; init; }
    /// <summary>Answer every request with this status and an HTML error page.</summary>
    public int? ErrorPage { get; init; }
    /// <summary>Answer Range requests with 200 and the whole file.</summary>
    public bool IgnoreRange { get; init; }
}

/// <summary>
/// A real HTTP server (Kestrel, loopback) serving one file with Range support and injected faults:
/// the failure modes of real networks and servers, on demand.
/// </summary>
internal sealed class FaultyImageServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private int requests;

    private FaultyImageServer(WebApplication app, Uri url)
    {
        this.app = app;
        Url = url;
    }

    public Uri Url { get; }
    public int Requests => requests;
    public List<string> RangesAsked { get; } = [];

    public static async Task<FaultyImageServer> StartAsync(byte[] file, Faults faults)
    {
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var server = new FaultyImageServer(app, new Uri($"http://127.0.0.1:{port}/image.raw.zst"));
        var content = (byte[])file.Clone();
        if (faults.CorruptAt is { } at)
            content[at] ^= 0x5a;
        content = content[..^faults.TruncateBy];
        app.MapGet("/image.raw.zst", (HttpContext http) => server.ServeAsync(http, content, faults));
        await app.StartAsync();
        return server;
    }

    private async Task ServeAsync(HttpContext http, byte[] content, Faults faults)
    {
        var n = Interlocked.Increment(ref requests) - 1;
        lock (RangesAsked)
            RangesAsked.Add(http.Request.Headers.Range.ToString());
        if (n < faults.ServerErrors)
        {
            http.Response.StatusCode = 503;
            return;
        }

        if (faults.ErrorPage is { } status)
        {
            http.Response.StatusCode = status == 200 ? 200 : status;
            http.Response.ContentType = "text/html";
            await http.Response.WriteAsync("<html><body><h1>Something went wrong</h1></body></html>");
            return;
        }

        long start = 0;
        var range = http.Request.Headers.Range.ToString();
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && !faults.IgnoreRange)
        {
            start = long.Parse(range["bytes=".Length..].TrimEnd('-'), System.Globalization.CultureInfo.InvariantCulture);
            http.Response.StatusCode = 206;
            http.Response.Headers.ContentRange = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }

        http.Response.Headers.ETag = "\"v1\"";
        http.Response.ContentLength = content.Length - start;
        var body = content.AsMemory((int)start);
        var dropAfter = n - faults.ServerErrors < faults.DropAfter.Count ? faults.DropAfter[n - faults.ServerErrors] : (long?)null;
        var stallAfter = n == faults.ServerErrors ? faults.StallAfter : null;
        var piece = faults.Drip?.Bytes ?? 64 * 1024;
        long sent = 0;
        while (sent < body.Length)
        {
            if (dropAfter is { } drop && sent >= drop)
            {
                await http.Response.Body.FlushAsync();
                http.Features.Get<IHttpResponseBodyFeature>()!.DisableBuffering();
                http.Abort();
                return;
            }

            if (stallAfter is { } stall && sent >= stall)
            {
                await http.Response.Body.FlushAsync();
                await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            var size = (int)Math.Min(piece, body.Length - sent);
            if (dropAfter is { } limit && sent + size > limit)
                size = (int)Math.Max(1, limit - sent);
            await http.Response.Body.WriteAsync(body.Slice((int)sent, size));
            sent += size;
            if (faults.Drip is { } drip)
            {
                await http.Response.Body.FlushAsync();
                await Task.Delay(drip.Pause);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
