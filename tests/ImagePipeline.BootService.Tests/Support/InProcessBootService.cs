using System.Net;
using System.Net.Sockets;
using ImagePipeline.BootService.Hosting;
using ImagePipeline.BootService.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.BootService.Tests.Support;

/// <summary>The boot service's HTTP side on real Kestrel on loopback (HTTP-only mode), with a data directory of its own.</summary>
internal sealed class InProcessBootService : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token";
    public const string ImageId = "1111111111111111111111111111111111111111111111111111111111111111";

    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("imagepipe-bootsvc-http-");
    private WebApplication? app;

    public HttpClient Client { get; private set; } = null!;
    public string DataDirectory => data.FullName;
    public string FilesDirectory => Path.Combine(data.FullName, "bootsvc", "files");
    public string ArtifactsDirectory => Path.Combine(data.FullName, "artifacts");
    public IServiceProvider Services => app!.Services;
    public byte[] Kernel { get; } = System.Security.Cryptography.RandomNumberGenerator.GetBytes(300_000);

    private bool discovery;
    private string? adminToken;
    private long eventRetention;

    /// <param name="adminToken">the operator API's token (null: started without one)</param>
    /// <param name="eventRetention">how many events the boot database keeps</param>
    public static async Task<InProcessBootService> StartAsync(bool discovery = true, string? adminToken = AdminToken,
        long eventRetention = Storage.SqliteMachineInventory.DefaultEventRetention)
    {
        var service = new InProcessBootService { discovery = discovery, adminToken = adminToken, eventRetention = eventRetention };
        await service.RunAsync();
        return service;
    }

    /// <summary>Stops the service and starts it again on the same data directory (on another port: <see cref="Client"/> is new).</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await RunAsync();
    }

    private async Task RunAsync()
    {
        Directory.CreateDirectory(Path.Combine(FilesDirectory, "deploy"));
        await File.WriteAllBytesAsync(Path.Combine(FilesDirectory, "deploy", "vmlinuz"), Kernel);
        var image = Path.Combine(ArtifactsDirectory, ImageId);
        Directory.CreateDirectory(image);
        await File.WriteAllTextAsync(Path.Combine(image, "manifest.json"), """{"imageId":"1111","disk":{"size":1073741824,"growRoot":true}}""");
        await File.WriteAllBytesAsync(Path.Combine(image, "disk.raw.zst"), new byte[4096]);

        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddBootService(new BootServiceOptions
        {
            Mode = BootMode.HttpOnly,
            ServerAddress = IPAddress.Loopback,
            HttpPort = port,
            Discovery = discovery,
            AdminToken = adminToken,
            EventRetention = eventRetention,
            DataDirectory = Path.Combine(data.FullName, "bootsvc"),
            ArtifactsDirectory = ArtifactsDirectory,
        });
        app = builder.Build();
        app.UseBootRequestLogging();
        app.MapBootService();
        await app.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    /// <summary>
    /// A machine's agent token as its deploy environment gets it: the desired image set through the
    /// operator API (none: left unset), then the machine's boot script fetched, which carries it.
    /// </summary>
    public async Task<string> AgentTokenAsync(string mac, string? desiredImage)
    {
        if (desiredImage is not null)
        {
            using var setDesired = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/machines/{mac}/desired-image")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { imageId = desiredImage }),
            };
            setDesired.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminToken);
            (await Client.SendAsync(setDesired)).EnsureSuccessStatusCode();
        }
        else
        {
            await Services.GetRequiredService<ImagePipeline.BootService.Inventory.IMachineInventory>().DiscoverAsync(mac, CancellationToken.None);
        }

        var script = await Client.GetStringAsync($"/boot/{mac}.ipxe");
        return AgentTokens.In(script);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task StopAsync()
    {
        Client.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        data.Delete(recursive: true);
    }
}
