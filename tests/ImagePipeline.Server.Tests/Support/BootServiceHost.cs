using System.Net;
using ImagePipeline.BootService.Hosting;
using ImagePipeline.BootService.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Tests.Support;

/// <summary>
/// The real boot service (HTTP only: scripts, agent API, operator API) on a fixed loopback port,
/// serving the server's artifact store; it can be stopped and started again on the same port and
/// inventory, as a site's boot service that goes away and comes back.
/// </summary>
/// <param name="upstream">a site's boot service: the pipeline server it pulls from, and an operator's token there</param>
internal sealed class BootServiceHost(int port, string data, string artifacts, (Uri Server, string Token)? upstream = null) : IAsyncDisposable
{
    public const string AdminToken = "bootsvc-admin-token";

    private WebApplication? app;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> requests = new();

    public Uri Url => new($"http://127.0.0.1:{port}/");

    /// <summary>The running boot service's services (its inventory, say).</summary>
    public IServiceProvider Services => app?.Services ?? throw new InvalidOperationException("the boot service is stopped");

    /// <summary>Every request it was sent, as "METHOD /path", across restarts.</summary>
    public IReadOnlyCollection<string> Requests => requests;

    public static async Task<BootServiceHost> StartAsync(int port, string data, string artifacts, (Uri Server, string Token)? upstream = null)
    {
        var host = new BootServiceHost(port, data, artifacts, upstream);
        await host.StartAsync();
        return host;
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddBootService(new BootServiceOptions
        {
            Mode = BootMode.HttpOnly, ServerAddress = IPAddress.Loopback, HttpPort = port, AdminToken = AdminToken,
            DataDirectory = data, ArtifactsDirectory = artifacts, Upstream = upstream?.Server, UpstreamToken = upstream?.Token,
        });
        app = builder.Build();
        app.Use((context, next) =>
        {
            requests.Enqueue($"{context.Request.Method} {context.Request.Path}");
            return next(context);
        });
        app.MapBootService();
        await app.StartAsync(TestContext.Current.CancellationToken);
    }

    public async Task StopAsync()
    {
        if (app is null)
            return;
        await app.StopAsync(TestContext.Current.CancellationToken);
        await app.DisposeAsync();
        app = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
