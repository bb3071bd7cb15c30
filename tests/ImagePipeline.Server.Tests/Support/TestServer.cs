using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ImagePipeline.Server.Tests.Support;

/// <summary>
/// The pipeline server through WebApplicationFactory (<see cref="PipelineServerFactory"/>) with a
/// store of its own — the embedded SQLite files, or a fresh database on the test assembly's
/// PostgreSQL — and an HTTP client for its API.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly PipelineServerFactory app;
    private readonly DirectoryInfo data;

    private TestServer(PipelineServerFactory app, DirectoryInfo data, HttpClient http)
    {
        this.app = app;
        this.data = data;
        Http = http;
    }

    public HttpClient Http { get; }
    public IServiceProvider Services => app.Services;
    public string DataDirectory => data.FullName;

    /// <summary>The stores the same tests run on (theory data).</summary>
    public static TheoryData<string> Stores => new(Sqlite, Postgres);

    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static async Task<TestServer> StartAsync(string store = Sqlite)
    {
        var data = Directory.CreateTempSubdirectory("imagepipe-server-test-");
        var database = store == Postgres ? await PostgresServer.CreateDatabaseAsync() : null;
        var app = new PipelineServerFactory(new ServerOptions { DataDirectory = data.FullName, Database = database });
        var http = app.CreateClient();
        http.Timeout = TimeSpan.FromMinutes(5);
        return new TestServer(app, data, http);
    }

    public async Task<JsonNode> GetJsonAsync(string path) =>
        JsonNode.Parse(await Http.GetStringAsync(path, TestContext.Current.CancellationToken))!;

    /// <summary>Registers a source and waits until its sync job has listed its recipes.</summary>
    public async Task RegisterAsync(string name, string url, string? secret)
    {
        var response = await Http.PostAsJsonAsync("/api/v1/sources", new { name, url, webhookSecret = secret }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        await WaitAsync($"source {name} synced", async () => (await GetJsonAsync($"/api/v1/sources/{name}"))["lastCommit"] is not null);
    }

    public static async Task WaitAsync(string what, Func<Task<bool>> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out after {seconds} s waiting for {what}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.DisposeAsync();
        data.Delete(recursive: true);
    }
}
