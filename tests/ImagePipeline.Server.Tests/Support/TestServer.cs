using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Hangfire;
using ImagePipeline.Tests.Waiting;
using Microsoft.Extensions.DependencyInjection;

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

    private TestServer(PipelineServerFactory app, DirectoryInfo data, string dataDirectory, HttpClient http)
    {
        this.app = app;
        this.data = data;
        DataDirectory = dataDirectory;
        Http = http;
    }

    public HttpClient Http { get; }

    /// <summary>Where a browser finds the server (with kestrel: true).</summary>
    public Uri BaseAddress => Http.BaseAddress!;
    public IServiceProvider Services => app.Services;
    /// <summary>The server's data directory: a fresh one of its own, removed at the end, unless the test's options name another (shared by two servers in turn).</summary>
    public string DataDirectory { get; }

    /// <summary>The stores the same tests run on (theory data).</summary>
    public static TheoryData<string> Stores => new(Sqlite, Postgres);

    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <param name="kestrel">on a real port (for a browser), instead of the in-memory test server</param>
    public static async Task<TestServer> StartAsync(string store = Sqlite, Func<ServerOptions, ServerOptions>? configure = null, bool kestrel = false)
    {
        var data = Directory.CreateTempSubdirectory("imagepipe-server-test-");
        var database = store == Postgres ? await PostgresServer.CreateDatabaseAsync() : null;
        var options = new ServerOptions { DataDirectory = data.FullName, Database = database, AdminPassword = AdminPassword };
        options = configure?.Invoke(options) ?? options;
        var app = new PipelineServerFactory(options);
        if (kestrel)
        {
            app.UseKestrel(0);
            app.StartServer();
        }

        var server = new TestServer(app, data, options.DataDirectory, app.CreateClient());
        server.Http.Timeout = TimeSpan.FromMinutes(5);
        server.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await server.TokenAsync(FirstAdminName, AdminPassword));
        return server;
    }

    public const string FirstAdminName = "admin";
    public const string AdminPassword = "correct-horse-battery-staple";

    /// <summary>An API token of an account, traded for its password once (HTTP Basic).</summary>
    public async Task<string> TokenAsync(string account, string password)
    {
        using var client = app.CreateClient();
        return await TokenAsync(client, account, password);
    }

    public static async Task<string> TokenAsync(HttpClient client, string account, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tokens") { Content = JsonContent.Create(new { name = "tests" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{account}:{password}")));
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["token"]!.GetValue<string>();
    }

    /// <summary>A client without credentials, or as a new account with the given roles (created by the admin).</summary>
    public async Task<HttpClient> ClientAsync(params string[] roles)

    {
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = app.ClientOptions.BaseAddress });
        if (roles.Length == 0)
            return client;
        var name = await CreateAccountAsync(roles);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client, name, AdminPassword));
        return client;
    }

    /// <summary>A new account with the given roles and the password <see cref="AdminPassword"/>, created by the admin; its name.</summary>
    public async Task<string> CreateAccountAsync(params string[] roles)
    {
        var name = $"{string.Join('-', roles)}-{Guid.NewGuid():n}";
        name = name[..Math.Min(name.Length, 40)];
        (await Http.PostAsJsonAsync("/api/v1/accounts", new { name, password = AdminPassword, roles }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        return name;
    }

    public async Task<JsonNode> GetJsonAsync(string path) =>
        JsonNode.Parse(await Http.GetStringAsync(path, TestContext.Current.CancellationToken))!;

    /// <summary>Registers a source and waits until its sync job has listed its recipes.</summary>
    public async Task RegisterAsync(string name, string url, string? secret)
    {
        var response = await Http.PostAsJsonAsync("/api/v1/sources", new { name, url, webhookSecret = secret }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        await Eventually.WaitAsync($"source {name} synced", async () => (await GetJsonAsync($"/api/v1/sources/{name}"))["lastCommit"] is not null, diagnose: Jobs);
    }

    /// <summary>
    /// The server's background jobs as Hangfire sees them: its servers, queues, and the jobs
    /// processing, failed and scheduled. More than /metrics gives (counts only): a failed job's
    /// exception and a retry's time are what explain a wait that timed out.
    /// </summary>
    public string Jobs()
    {
        var monitor = app.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"hangfire servers: {string.Join("; ", monitor.Servers().Select(s => $"{s.Name} ({string.Join(',', s.Queues)}, {s.WorkersCount} workers, heartbeat {s.Heartbeat:HH:mm:ss})"))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"queues: {string.Join("; ", monitor.Queues().Select(q => $"{q.Name} {q.Length} enqueued{(q.Fetched is { } f ? $", {f} fetched" : "")}"))}");
        foreach (var job in monitor.ProcessingJobs(0, 10))
            text.AppendLine(CultureInfo.InvariantCulture, $"processing {job.Key}: {job.Value.Job?.Method.Name} since {job.Value.StartedAt:HH:mm:ss} on {job.Value.ServerId}");
        foreach (var job in monitor.FailedJobs(0, 5))
            text.AppendLine(CultureInfo.InvariantCulture, $"failed {job.Key}: {job.Value.Job?.Method.Name} at {job.Value.FailedAt:HH:mm:ss}: {job.Value.ExceptionType}: {job.Value.ExceptionMessage}");
        foreach (var job in monitor.ScheduledJobs(0, 5))
            text.AppendLine(CultureInfo.InvariantCulture, $"scheduled {job.Key}: {job.Value.Job?.Method.Name} for {job.Value.EnqueueAt:HH:mm:ss}");
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.DisposeAsync();
        data.Delete(recursive: true);
    }
}
