using ImagePipeline.BootService.Contract;
using ImagePipeline.Loops;
using ImagePipeline.Server.Rollouts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Fleet;

/// <summary>
/// The fleet as the boot service reports it, kept by following its event feed with one cursor
/// (<c>GET /api/v1/events</c>, a long poll: one request open, answered as soon as anything
/// happens): the rollout controller and the machine pages read each machine's state and how its
/// deployment ended from here, and never ask the boot service per machine. It starts from a
/// snapshot, and starts again from one when the boot service says the cursor is lost (its
/// retention passed it, or its database was replaced). While the feed fails, reads fail as an
/// unreachable boot service does: no decision is taken on a view that may be stale.
/// </summary>
public sealed partial class BootServiceFeed(ServerOptions options, IHttpClientFactory clients, ServerLoops loops, TimeProvider clock, ILogger<BootServiceFeed> logger)
    : BackgroundService
{
    /// <summary>The named HTTP client of the feed: its timeout outlasts a long poll's wait.</summary>
    public const string HttpClientName = "bootsvc-feed";
    /// <summary>How long one request waits for an event before it is answered empty.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    /// <summary>How long a read waits for the first snapshot after the server started.</summary>
    private static readonly TimeSpan FirstSync = TimeSpan.FromSeconds(10);

    private readonly Lock gate = new();
    private readonly Dictionary<string, MachineRecord> machines = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Each machine's last move into healthy or failed: all <see cref="DeploymentEnd.Of"/> needs of its history.</summary>
    private readonly Dictionary<string, MachineEvent> ends = new(StringComparer.OrdinalIgnoreCase);
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

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (ConfiguredBootService.From(options, clients, HttpClientName) is not { } bootService)
            return Task.CompletedTask;
        return BackgroundLoop.RunAsync(loops.Pacer(ServerLoops.BootServiceFeed, TimeSpan.FromSeconds(10)), TimeSpan.Zero,
            ct => RoundAsync(bootService, ct), clock, stoppingToken);
    }

    private async Task RoundAsync(BootServiceClient bootService, CancellationToken cancellationToken)
    {
        try
        {
            if (cursor is not { } after)
                Apply(await bootService.SnapshotAsync(cancellationToken));
            else
                Apply(await bootService.EventsAfterAsync(after, EventFeed.MaxLimit, Wait, cancellationToken));
            failure = null;
            synced.TrySetResult();
        }
        catch (EventCursorLostException e)
        {
            // Not a failure of the boot service: the next round starts again from its snapshot.
            LogResync(logger, cursor ?? 0, e.Message);
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
            foreach (var machine in page.Machines)
                machines[machine.Mac] = machine;
            cursor = page.Cursor;
        }
    }

    private async Task EnsureCurrentAsync(CancellationToken cancellationToken)
    {
        if (options.BootServiceUrl is null)
            throw new InvalidOperationException("no boot service: start the server with --boot-service URL (and --boot-service-token or IMAGEPIPE_BOOTSVC_TOKEN)");
        if (failure is { } failed)
            throw new BootServiceUnreachableException(options.BootServiceUrl, failed);
        try
        {
            await synced.Task.WaitAsync(FirstSync, clock, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new BootServiceUnreachableException(options.BootServiceUrl, failure ?? e);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "boot service feed: {Message}; following again from a snapshot (was at event {Cursor})")]
    private static partial void LogResync(ILogger logger, long cursor, string message);
}
