using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Waiting;
using Npgsql;

namespace ImagePipeline.Server.Tests;

/// <summary>
/// Scale-out: two real <c>imagepipe server</c> processes on one PostgreSQL (and one shared data
/// directory) take jobs from the same queues. Hangfire's own state history in the database says
/// which server processed each job and how often.
/// </summary>
public sealed class ScaleOutTests : IDisposable
{
    private const int Sources = 24;
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("imagepipe-scale-out-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_servers_on_one_PostgreSQL_share_the_queues_and_run_each_job_exactly_once()
    {
        var database = await PostgresServer.CreateDatabaseAsync();
        var repositories = await Task.WhenAll(Enumerable.Range(1, Sources).Select(i => RecipeRepository.CreateAsync($"scale-{i:00}")));
        await using var first = await ServerProcess.StartAsync(data.FullName, database: database);
        await using var second = await ServerProcess.StartAsync(data.FullName, database: database);
        using var toFirst = await first.CreateClientAsync();
        using var toSecond = await second.CreateClientAsync();

        // Registered through both servers at once: each registration queues one sync job.
        var registrations = await Task.WhenAll(repositories.Select((repository, i) =>
            (i % 2 == 0 ? toFirst : toSecond).PostAsJsonAsync("/api/v1/sources", new { name = $"source-{i + 1:00}", url = repository.Path }, Ct)));
        await Eventually.WaitAsync("every source synced", async () =>
            JsonNode.Parse(await toSecond.GetStringAsync("/api/v1/sources", Ct))!.AsArray().Count(s => s!["lastCommit"] is not null) == Sources, 180);
        var recipes = JsonNode.Parse(await toFirst.GetStringAsync("/api/v1/recipes", Ct))!.AsArray().Select(r => r!["name"]!.GetValue<string>()).ToList();
        var syncs = await SyncJobHistoryAsync(database);

        registrations.ShouldAllBe(r => r.IsSuccessStatusCode);
        recipes.Order().ShouldBe(Enumerable.Range(1, Sources).Select(i => $"scale-{i:00}"));
        syncs.Count.ShouldBe(Sources, "one sync job per registration");
        syncs.ShouldAllBe(job => job.Processed == 1 && job.Succeeded == 1, "each job ran exactly once");
        var byServer = syncs.GroupBy(job => ProcessOf(job.Server, first.Pid, second.Pid)).ToDictionary(g => g.Key, g => g.Count());
        TestContext.Current.TestOutputHelper?.WriteLine($"sync jobs per server: {string.Join(", ", byServer.Select(p => $"{p.Key} {p.Value}"))}");
        byServer.Keys.Order().ToList().ShouldBe(new List<string> { "first", "second" }, $"jobs ran on both servers: {string.Join(", ", byServer.Select(p => $"{p.Key} {p.Value}"))}");

        foreach (var repository in repositories)
            repository.Dispose();
    }

    private static string ProcessOf(string server, int first, int second) =>
        server.Contains($":{first.ToString(CultureInfo.InvariantCulture)}:", StringComparison.Ordinal) ? "first"
        : server.Contains($":{second.ToString(CultureInfo.InvariantCulture)}:", StringComparison.Ordinal) ? "second"
        : $"unknown server {server}";

    private sealed record JobHistory(long Job, int Processed, int Succeeded, string Server);

    /// <summary>Every SyncSourceAsync job, from Hangfire's tables: how often it entered Processing and Succeeded, and on which server.</summary>
    private static async Task<List<JobHistory>> SyncJobHistoryAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        await using var query = new NpgsqlCommand("""
            SELECT j.id,
                   count(*) FILTER (WHERE s.name = 'Processing'),
                   count(*) FILTER (WHERE s.name = 'Succeeded'),
                   coalesce(max(s.data::jsonb ->> 'ServerId') FILTER (WHERE s.name = 'Processing'), '')
            FROM hangfire.job j JOIN hangfire.state s ON s.jobid = j.id
            WHERE j.invocationdata::text LIKE '%SyncSourceAsync%'
            GROUP BY j.id ORDER BY j.id
            """, connection);
        await using var reader = await query.ExecuteReaderAsync(Ct);
        var jobs = new List<JobHistory>();
        while (await reader.ReadAsync(Ct))
            jobs.Add(new JobHistory(reader.GetInt64(0), (int)reader.GetInt64(1), (int)reader.GetInt64(2), reader.GetString(3)));
        return jobs;
    }

    public void Dispose() => data.Delete(recursive: true);
}
