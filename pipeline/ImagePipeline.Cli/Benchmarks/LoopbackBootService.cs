using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.ArtifactStore;
using System.Net.Sockets;
using ImagePipeline.BootService.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// The boot service's HTTP side on loopback (HTTP-only mode, production Kestrel settings), serving
/// <c>SCRATCH/bootsvc/files</c> and, when given, a data directory's artifact and chunk stores;
/// it counts the bytes it sends under each first path segment.
/// </summary>
internal sealed class LoopbackBootService : IAsyncDisposable
{
    public const string AdminToken = "bench-admin";
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, long> sent;

    private LoopbackBootService(WebApplication app, int port, ConcurrentDictionary<string, long> sent)
    {
        this.app = app;
        Port = port;
        this.sent = sent;
    }

    public int Port { get; }

    public string FileUrl(string name) => $"http://127.0.0.1:{Port}/files/{name}";

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Response bytes sent so far under <c>/SEGMENT/</c> (for example "images", "files").</summary>
    public long BytesSent(string segment) => sent.GetValueOrDefault(segment);

    /// <summary>A machine's agent token as its deploy environment gets it: its desired image set, then its boot script fetched.</summary>
    public async Task<string> AgentTokenAsync(string mac, string imageId, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        using var desired = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/machines/{mac}/desired-image") { Content = JsonContent.Create(new { imageId }) };
        desired.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        (await http.SendAsync(desired, cancellationToken)).EnsureSuccessStatusCode();
        var script = await http.GetStringAsync($"/boot/{mac}.ipxe", cancellationToken);
        var prefix = AgentRoutes.KernelParameters.Token + "=";
        return script.Split(' ', '\n').Single(w => w.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];
    }

    public static string FilesDirectory(string scratch) => Path.Combine(scratch, "bootsvc", "files");

    /// <param name="dataDirectory">a data directory whose images (and chunks) are served; by default an empty store in the scratch directory</param>
    public static async Task<LoopbackBootService> StartAsync(string scratch, CancellationToken cancellationToken, string? dataDirectory = null)
    {
        var port = FreeTcpPort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.ConfigureForBootFiles();
            k.Listen(IPAddress.Loopback, port);
        });
        builder.Services.AddBootService(new BootServiceOptions
        {
            Mode = BootMode.HttpOnly,
            ServerAddress = IPAddress.Loopback,
            HttpPort = port,
            DataDirectory = Path.Combine(scratch, "bootsvc"),
            ArtifactsDirectory = dataDirectory is null ? Path.Combine(scratch, "artifacts") : ArtifactStoreLayout.Root(dataDirectory),
            ChunkStoreDirectory = dataDirectory is null ? null : ArtifactStoreLayout.ChunkStore(dataDirectory),
            AdminToken = AdminToken,
            Discovery = true,
        });
        var app = builder.Build();
        var sent = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        app.Use(async (context, next) =>
        {
            await next(context);
            var segment = (context.Request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            sent.AddOrUpdate(segment, context.Response.ContentLength ?? 0, (_, total) => total + (context.Response.ContentLength ?? 0));
        });
        app.MapBootService();
        await app.StartAsync(cancellationToken);
        return new LoopbackBootService(app, port, sent);
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }
}
