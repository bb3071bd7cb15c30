using ImagePipeline.BootService.Contract;
using ImagePipeline.Loops;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Fleet;

/// <summary>
/// The machines of one boot service (<see cref="BootServiceSite"/>) as it reports them, kept by
/// following its event feed with one cursor (<c>GET /api/v1/events</c>, a long poll: one request
/// open, answered as soon as anything happens): the rollout controller and the machine pages read
/// each machine's state and how its deployment ended from here, and never ask the boot service
/// per machine. It starts from a snapshot, and starts again from one when the boot service says
/// the cursor is lost (its retention passed it, or its database was replaced). While the feed
/// fails, reads fail as an unreachable boot service does: no decision is taken on a view that may
/// be stale. <see cref="BootServiceFeeds"/> runs one per boot service.
/// </summary>
/// <param name="deploymentsEnded">called after a page that brought a deployment's end (healthy or failed), or a new snapshot, was applied</param>
public sealed partial class BootServiceFeed(BootServiceSite site, BootServiceClient bootService, RetryPacer pacer, TimeProvider clock, ILogger logger, Action? deploymentsEnded = null)
{
    /// <summary>The named HTTP client of the feeds: its timeout outlasts a long poll's wait.</summary>
    public const string HttpClientName = "bootsvc-feed";
    /// <summary>How long one request waits for an event before it is answered empty.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    /// <summary>How long a read waits for the first snapshot after the server started.</summary>
    private static readonly TimeSpan FirstSync = TimeSpan.FromSeconds(10);

    public BootServiceSite Site => site;

    private readonly Lock gate = new();
    private readonly Dictionary<string, MachineRecord> machines = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Each machine's last move into healthy or failed: all <see cref="DeploymentEnd.Of"/> needs of its history.</summary>
    private readonly Dictionary<string, MachineEvent> ends = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>While traces are made: each machine's last few state changes, for its deployment's phases.</summary>
    private readonly Dictionary<string, Queue<MachineEvent>> changes = new(StringComparer.OrdinalIgnoreCase);
    private const int ChangesKept = 8;
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long? cursor;
    /// <summary>Why the last round failed; null once one succeeded.</summary>
    private volatile Exception? failure;
    private int resyncs;

    /// <summary>How often the feed started again from a snapshot because the boot service had lost its cursor.</summary>
    public int Resyncs => Volatile.Read(ref resyncs);

    /// <summary>The machine as the boot service last reported it, or null when it never saw it.</summary>
    /// <exception cref="BootServiceUnreachableException">the feed is failing: the view may be stale</exception>
    public async Task<MachineRecord?> MachineAsync(string mac, CancellationToken cancellationToken)
    {
        await EnsureCurrentAsync(cancellationToken);
        lock (gate)
            return machines.GetValueOrDefault(mac);
    }

    /// <summary>How the machine's deployment of <paramref name="imageId"/> begun at <paramref name="since"/> ended, or null while it is on its way (<see cref="DeploymentEnd.Of"/>).</summary>
    /// <exception cref="BootServiceUnreachableException">the feed is failing: the view may be stale</exception>
    public async Task<DeploymentEnd?> DeploymentEndAsync(string mac, string imageId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await EnsureCurrentAsync(cancellationToken);
        lock (gate)
        {
            return ends.TryGetValue(mac, out var end) ? DeploymentEnd.Of([end], machines.GetValueOrDefault(mac)?.CurrentImage, imageId, since) : null;
        }
    }

    /// <summary>The machine's state changes since <paramref name="since"/> that this feed saw (its last few, kept only while traces are made), oldest first.</summary>
    /// <exception cref="BootServiceUnreachableException">the feed is failing: the view may be stale</exception>
    public async Task<IReadOnlyList<MachineEvent>> ChangesAsync(string mac, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await EnsureCurrentAsync(cancellationToken);
        lock (gate)
            return changes.TryGetValue(mac, out var seen) ? [.. seen.Where(e => e.At >= since)] : [];
    }

    /// <summary>Follows the feed until <paramref name="cancellationToken"/> ends it; a failed round waits the pacer's backoff.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        BackgroundLoop.RunAsync(pacer, TimeSpan.Zero, RoundAsync, clock, cancellationToken);

    private async Task RoundAsync(CancellationToken cancellationToken)
    {
        try
        {
            bool ended;
            if (cursor is not { } after)
            {
                Apply(await bootService.SnapshotAsync(cancellationToken));
                ended = true;
            }
            else
            {
                var page = await bootService.EventsAfterAsync(after, EventFeed.MaxLimit, Wait, cancellationToken);
                Apply(page);
                ended = page.Events.Any(e => e.EndsDeployment);
            }

            failure = null;
            synced.TrySetResult();
            if (ended)
                deploymentsEnded?.Invoke();
        }
        catch (EventCursorLostException e)
        {
            // Not a failure of the boot service: the next round starts again from its snapshot.
            LogResync(logger, site, cursor ?? 0, e.Message);
            cursor = null;
            Interlocked.Increment(ref resyncs);
        }
        catch (Exception e) when (!BackgroundLoop.IsShutdown(e, cancellationToken))
        {
            failure = e;
            throw;
        }
    }

    private void Apply(FleetSnapshot snapshot)
    {
        lock (gate)
        {
            machines.Clear();
            ends.Clear();
            foreach (var machine in snapshot.Machines)
                machines[machine.Mac] = machine;
            foreach (var end in snapshot.DeploymentEnds)
                ends[end.Mac!] = end;
            cursor = snapshot.Cursor;
        }
    }

    private void Apply(EventFeedPage page)
    {
        lock (gate)
        {
            foreach (var end in page.Events.Where(e => e.EndsDeployment))
                ends[end.Mac!] = end;
            if (Telemetry.PipelineTracing.Source.HasListeners())
            {
                foreach (var change in page.Events.Where(e => e.To is not null && e.Mac is not null))
                {
                    if (!changes.TryGetValue(change.Mac!, out var seen))
                        changes[change.Mac!] = seen = new Queue<MachineEvent>();
                    seen.Enqueue(change);
                    if (seen.Count > ChangesKept)
                        seen.Dequeue();
                }
            }
            foreach (var machine in page.Machines)
                machines[machine.Mac] = machine;
            cursor = page.Cursor;
        }
    }

    private async Task EnsureCurrentAsync(CancellationToken cancellationToken)
    {
        if (failure is { } failed)
            throw new BootServiceUnreachableException(site.Url, failed, site.Site);
        try
        {
            await synced.Task.WaitAsync(FirstSync, clock, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new BootServiceUnreachableException(site.Url, failure ?? e, site.Site);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "{Site} feed: {Message}; following again from a snapshot (was at event {Cursor})")]
    private static partial void LogResync(ILogger logger, BootServiceSite site, long cursor, string message);
}
