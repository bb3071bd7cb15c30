using System.Net;
using System.Net.Sockets;
using ImagePipeline.BootService.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>The boot service's HTTP side on loopback (HTTP-only mode, production Kestrel settings), serving <c>SCRATCH/bootsvc/files</c>.</summary>
internal sealed class LoopbackBootService : IAsyncDisposable
{
    private readonly WebApplication app;

    private LoopbackBootService(WebApplication app, int port)
    {
        this.app = app;
        Port = port;
    }

    public int Port { get; }

    public string FileUrl(string name) => $"http://127.0.0.1:{Port}/files/{name}";

    public static string FilesDirectory(string scratch) => Path.Combine(scratch, "bootsvc", "files");

    public static async Task<LoopbackBootService> StartAsync(string scratch, CancellationToken cancellationToken)
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
            ArtifactsDirectory = Path.Combine(scratch, "artifacts"),
        });
        var app = builder.Build();
        app.MapBootService();
        await app.StartAsync(cancellationToken);
        return new LoopbackBootService(app, port);
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
