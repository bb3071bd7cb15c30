using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CliWrap;

namespace ImagePipeline.Server.Tests.Support;

/// <summary>The real <c>imagepipe server</c> as its own process, so a test can kill it with SIGKILL mid-job and start it again on the same data.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private readonly CancellationTokenSource stop = new();
    private CommandTask<CommandResult>? process;

    private ServerProcess(string data, int port)
    {
        DataDirectory = data;
        Url = new Uri($"http://127.0.0.1:{port}/");
    }

    public string DataDirectory { get; }
    public Uri Url { get; }
    public int Pid { get; private set; }

    public string Output
    {
        get
        {
            lock (output)
                return output.ToString();
        }
    }

    /// <summary>Starts the server on <paramref name="data"/>: its embedded store, or the PostgreSQL of <paramref name="database"/> (a connection string).</summary>
    /// <param name="extra">more arguments of <c>imagepipe server</c></param>
    public static Task<ServerProcess> StartAsync(string data, int? port = null, string? database = null, params string[] extra) =>
        StartAsync(data, TestServer.AdminPassword, port, database, extra);

    /// <param name="adminPassword">the first admin's password (IMAGEPIPE_ADMIN_PASSWORD); null: none configured, the server makes a one-time password</param>
    public static async Task<ServerProcess> StartAsync(string data, string? adminPassword, int? port = null, string? database = null, params string[] extra)
    {
        var server = new ServerProcess(data, port ?? FreePort());
        string[] store = database is null ? extra : ["--database", database, .. extra];
        server.process = CliWrap.Cli.Wrap("dotnet")
            .WithArguments([Path.Combine(AppContext.BaseDirectory, "imagepipe.dll"), "server", "--urls", server.Url.ToString().TrimEnd('/'), "--data", data, .. store])
            .WithEnvironmentVariables(e => e.Set("IMAGEPIPE_ADMIN_PASSWORD", adminPassword))
            .WithStandardOutputPipe(PipeTarget.ToDelegate(server.Append)).WithStandardErrorPipe(PipeTarget.ToDelegate(server.Append))
            .WithValidation(CommandResultValidation.None).ExecuteAsync(server.stop.Token);
        server.Pid = server.process.ProcessId;
        await TestServer.WaitAsync("the server to be ready", () =>
        {
            if (server.process.Task.IsCompleted)
                throw new InvalidOperationException($"the server exited: {server.Output}");
            return Task.FromResult(server.Output.Contains("server ready", StringComparison.Ordinal));
        }, 180);
        return server;
    }

    /// <summary>An HTTP client for this server, signed in as the first admin with an API token.</summary>
    public async Task<HttpClient> CreateClientAsync()
    {
        var client = new HttpClient { BaseAddress = Url };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await TestServer.TokenAsync(client, TestServer.FirstAdminName, TestServer.AdminPassword));
        return client;
    }

    private void Append(string line)
    {
        lock (output)
            output.AppendLine(line);
    }

    /// <summary>kill -9: no shutdown, no cleanup; whatever the process was doing stops where it was.</summary>
    public async Task KillAsync()
    {
        using (var victim = Process.GetProcessById(Pid))
            victim.Kill();
        try
        {
            await process!;
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A loopback port nobody listens on now (for a server, a boot service or a database the test starts on a port it must know).</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (process is not null)
        {
            try
            {
                await process;
            }
            catch (OperationCanceledException)
            {
            }
        }

        stop.Dispose();
    }
}
