using ImagePipeline.BootService.Contract;
using ImagePipeline.Server.State;
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
    private readonly Dictionary<string, BootServiceFeed> bySite = new(StringComparer.Ordinal);
    private readonly BootServiceFeed? fallback;

    public BootServiceFeeds(ServerOptions options, IHttpClientFactory clients, ServerLoops loops, TimeProvider clock, ILogger<BootServiceFeed> logger)
    {
        this.options = options;
        foreach (var site in options.BootServices)
        {
            var name = site.Site is null ? ServerLoops.BootServiceFeed : $"{ServerLoops.BootServiceFeed} (site {site.Site})";
            var feed = new BootServiceFeed(site, new BootServiceClient(clients.CreateClient(BootServiceFeed.HttpClientName), site.Url, site.Token),
                loops.Pacer(name, TimeSpan.FromSeconds(10)), clock, logger);
            if (site.Site is null)
                fallback = feed;
            else
                bySite[site.Site] = feed;
        }
    }

    public IReadOnlyList<BootServiceFeed> All => [.. (fallback is null ? [] : new[] { fallback }), .. bySite.Values];

    /// <summary>The feed of the boot service <paramref name="machine"/> deploys through.</summary>
    /// <exception cref="InvalidOperationException">no boot service serves the machine's site</exception>
    public BootServiceFeed For(Machine machine) =>
        (machine.Site is { } site && bySite.TryGetValue(site, out var own) ? own : fallback)
        ?? throw new InvalidOperationException(options.Sites.Count == 0
            ? "no boot service: start the server with --boot-service URL (and --boot-service-token or IMAGEPIPE_BOOTSVC_TOKEN)"
            : $"no boot service for site {machine.Site ?? "(none)"} of machine {machine.Name}: give the server --site {machine.Site ?? "NAME"}=URL, or --boot-service URL for every other site");

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(All.Select(feed => feed.RunAsync(stoppingToken)));
}
