using System.Net;
using System.Net.Sockets;
using ImagePipeline.Validation.Harness;

namespace ImagePipeline.Server.Tests.Support;

/// <summary>The real <c>imagepipe server</c> as its own process, so a test can kill it with SIGKILL mid-job and start it again on the same data.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private ChildProcess? process;

    private ServerProcess(string data, int port)
    {
        DataDirectory = data;
        Url = new Uri($"http://127.0.0.1:{port}/");
    }

    public string DataDirectory { get; }
    public Uri Url { get; }
    public int Pid => Child.ProcessId;

    public string Output => Child.Output;

    private ChildProcess Child => process ?? throw new InvalidOperationException("not started");

    /// <summary>Starts the server on <paramref name="data"/>: its embedded store, or the PostgreSQL of <paramref name="database"/> (a connection string).</summary>
    /// <param name="extra">more arguments of <c>imagepipe server</c></param>
    public static Task<ServerProcess> StartAsync(string data, int? port = null, string? database = null, params string[] extra) =>
        StartAsync(data, TestServer.AdminPassword, port, database, extra);

    /// <param name="adminPassword">the first admin's password (IMAGEPIPE_ADMIN_PASSWORD); null: none configured, the server makes a one-time password</param>
    public static async Task<ServerProcess> StartAsync(string data, string? adminPassword, int? port = null, string? database = null, params string[] extra)
    {
        var server = new ServerProcess(data, port ?? FreePort());
        string[] store = database is null ? extra : ["--database", database, .. extra];
        server.process = await ChildProcess.StartAsync("the server", CliWrap.Cli.Wrap("dotnet")
            .WithArguments([Path.Combine(AppContext.BaseDirectory, "imagepipe.dll"), "server", "--urls", server.Url.ToString().TrimEnd('/'), "--data", data, .. store])
            .WithEnvironmentVariables(e => e.Set("IMAGEPIPE_ADMIN_PASSWORD", adminPassword)), "server ready", TimeSpan.FromSeconds(180),
            cancellationToken: TestContext.Current.CancellationToken);
        return server;
    }

    /// <summary>An HTTP client for this server, signed in as the first admin with an API token.</summary>
    public async Task<HttpClient> CreateClientAsync()
    {
        var client = new HttpClient { BaseAddress = Url };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await TestServer.TokenAsync(client, TestServer.FirstAdminName, TestServer.AdminPassword));
        return client;
    }

    /// <summary>kill -9: no shutdown, no cleanup; whatever the process was doing stops where it was.</summary>
    public async Task KillAsync()
    {
        using (var victim = System.Diagnostics.Process.GetProcessById(Pid))
            victim.Kill();
        await Child.WaitForExitAsync();
    }

    /// <summary>A loopback port nobody listens on now (for a server, a boot service or a database the test starts on a port it must know).</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync() => process?.DisposeAsync() ?? ValueTask.CompletedTask;
}
