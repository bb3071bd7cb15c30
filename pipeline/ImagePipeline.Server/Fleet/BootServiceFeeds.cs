using ImagePipeline.Loops;
using ImagePipeline.Server.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Fleet;

/// <summary>
/// One <see cref="BootServiceFeed"/> per boot service the server drives (the default one and each
/// site's), all followed at once, each with its own loop on <c>/metrics</c>: a site whose boot
/// service is away fails only its own machines' reads.
/// </summary>
public sealed class BootServiceFeeds : BackgroundService
{
    private readonly ServerOptions options;
    /// <summary>Each boot service's feed, by its site ("" for the default boot service).</summary>
    private readonly Dictionary<string, BootServiceFeed> feeds = new(StringComparer.Ordinal);

    /// <param name="controller">woken whenever a feed brings a deployment's end (healthy or failed): the wave gate decides on those</param>
    public BootServiceFeeds(ServerOptions options, IHttpClientFactory clients, ServerLoops loops, TimeProvider clock, ILogger<BootServiceFeed> logger,
        [FromKeyedServices(ServerLoops.RolloutController)] LoopWakeup controller)
    {
        this.options = options;
        foreach (var site in options.BootServices)
        {
            var name = site.Site is null ? ServerLoops.BootServiceFeed : $"{ServerLoops.BootServiceFeed} (site {site.Site})";
            feeds[site.Site ?? ""] = new BootServiceFeed(site, ConfiguredBootService.Client(site, clients, BootServiceFeed.HttpClientName),
                loops.Pacer(name, TimeSpan.FromSeconds(10)), clock, logger, controller.Wake);
        }
    }

    public IReadOnlyList<BootServiceFeed> All => [.. feeds.Values];

    /// <summary>The feed of the boot service <paramref name="machine"/> deploys through (<see cref="ServerOptions.BootServiceFor"/>).</summary>
    /// <exception cref="InvalidOperationException">no boot service serves the machine's site</exception>
    public BootServiceFeed For(Machine machine) =>
        options.BootServiceFor(machine.Site) is { } bootService ? feeds[bootService.Site ?? ""]
        : throw new InvalidOperationException(options.Sites.Count == 0
            ? "no boot service: start the server with --boot-service URL (and --boot-service-token or IMAGEPIPE_BOOTSVC_TOKEN)"
            : $"no boot service for site {machine.Site ?? "(none)"} of machine {machine.Name}: give the server --site {machine.Site ?? "NAME"}=URL, or --boot-service URL for every other site");

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(All.Select(feed => feed.RunAsync(stoppingToken)));
}
