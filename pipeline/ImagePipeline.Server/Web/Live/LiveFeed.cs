using System.Globalization;
using ImagePipeline.Loops;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Live;

/// <summary>
/// GET /ui/live: a server-sent event stream that says "changed" whenever anything the pages show
/// has changed — a run's state, an audit entry (every decision is one), a rollout's wave or a
/// machine's outcome. It reads a fingerprint of the store once a second, so it works the same with
/// several servers on one database. The page's script then re-reads its live regions. While the
/// store is away the streams stay open and quiet: the store is asked again after a backoff, not
/// once a second per page, and the failure is logged once.
/// </summary>
public sealed class LiveFeed(IDbContextFactory<PipelineDb> databases, ServerLoops loops, TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public async Task StreamAsync(HttpContext http, CancellationToken cancellationToken)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        // Reconnect quickly after a server restart.
        await http.Response.WriteAsync("retry: 2000\n\n", cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
        string? last = null;
        var quiet = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = await FingerprintAsync(cancellationToken);
                if (now != last)
                {
                    await http.Response.WriteAsync($"event: {(last is null ? "hello" : "changed")}\ndata: {now}\n\n", cancellationToken);
                    await http.Response.Body.FlushAsync(cancellationToken);
                    (last, quiet) = (now, 0);
                }
                else if (++quiet % 15 == 0)
                {
                    // A comment keeps proxies from closing an idle stream.
                    await http.Response.WriteAsync(": still here\n\n", cancellationToken);
                    await http.Response.Body.FlushAsync(cancellationToken);
                }

                await Task.Delay(Interval, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The browser went away.
        }
    }

    private readonly SemaphoreSlim reading = new(1, 1);
    private (string Value, DateTimeOffset Next) latest = ("", DateTimeOffset.MinValue);
    private RetryPacer Pacer => loops.Pacer(ServerLoops.LiveFeed, TimeSpan.FromSeconds(30));

    /// <summary>
    /// Small numbers that move whenever the state does; read from the store at most once an
    /// interval however many pages are open, and after a failed read only once its backoff passed
    /// (the last value stands meanwhile).
    /// </summary>
    public async Task<string> FingerprintAsync(CancellationToken cancellationToken)
    {
        await reading.WaitAsync(cancellationToken);
        try
        {
            var now = clock.GetUtcNow();
            if (now < latest.Next)
                return latest.Value;
            try
            {
                latest = (await ReadAsync(cancellationToken), now + Interval * 0.9);
                Pacer.Succeeded();
            }
#pragma warning disable CA1031 // any failure of the store is a round to retry later; the page keeps its stream
            catch (Exception e) when (!BackgroundLoop.IsShutdown(e, cancellationToken))
#pragma warning restore CA1031
            {
                latest = (latest.Value, now + Pacer.Failed(e));
            }

            return latest.Value;
        }
        finally
        {
            reading.Release();
        }
    }

    private async Task<string> ReadAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var audit = await db.Audit.MaxAsync(a => (long?)a.Id, cancellationToken) ?? 0;
        var runs = await db.Runs.GroupBy(r => r.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var targets = await db.Set<RolloutTarget>().GroupBy(t => t.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var rollouts = await db.Rollouts.MaxAsync(r => (DateTime?)r.UpdatedAt, cancellationToken);
        var machines = await db.Machines.CountAsync(cancellationToken);
        return string.Join('/',
            audit.ToString(CultureInfo.InvariantCulture),
            string.Join(',', runs.OrderBy(r => r.Key).Select(r => $"{r.Key}:{r.Count}")),
            string.Join(',', targets.OrderBy(t => t.Key).Select(t => $"{t.Key}:{t.Count}")),
            rollouts?.Ticks.ToString(CultureInfo.InvariantCulture) ?? "-",
            machines.ToString(CultureInfo.InvariantCulture));
    }

    public void Dispose() => reading.Dispose();
}
