using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Seed;
using ImagePipeline.Tests.Waiting;
using Microsoft.Data.Sqlite;

namespace ImagePipeline.Server.Tests;

/// <summary>
/// The real server's store taken away mid-build for longer than a heartbeat may be missed — the
/// SQLite file locked by another process's write transaction, the PostgreSQL container stopped —
/// then given back: every loop (run reclaimer, heartbeat, rollout controller) waits between
/// tries instead of spinning, the log grows by a few lines, and the run in progress finishes
/// without being handed to a second job because nobody could write a heartbeat. Both stores at
/// once, with a short stale window (--heartbeat-stale 10), to keep the suite's time.
/// </summary>
[Collection(OutageTests.Name)]
public sealed partial class StoreOutageTests
{
    private const int StaleSeconds = 10;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(16);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task While_the_store_is_away_the_loops_back_off_and_log_a_few_lines_and_the_run_in_progress_is_not_handed_to_a_second_job()
    {
        await Task.WhenAll(OutageAsync(TestServer.Sqlite), OutageAsync(TestServer.Postgres));
    }

    private static async Task OutageAsync(string store)
    {
        var data = Directory.CreateTempSubdirectory($"imagepipe-outage-{store}-");
        try
        {
            await OutageAsync(store, data.FullName);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    private static async Task OutageAsync(string store, string data)
    {
        var port = ServerProcess.FreePort();
        await using var postgres = store == TestServer.Postgres ? await PostgresServer.StartDedicatedAsync(port) : null;
        string? database = postgres is null ? null : $"Host=127.0.0.1;Port={port};Database=postgres;Username=postgres;Password=postgres";
        using var repository = await RecipeRepository.CreateAsync(command: "sleep 40");
        var log = Path.Combine(data, "server", "runs", "1.log");
        await SeededBase.IntoAsync(data, Ct);
        await using var server = await ServerProcess.StartAsync(data, database: database, extra: ["--heartbeat-stale", $"{StaleSeconds}"]);
        using var http = await server.CreateClientAsync();
        (await http.PostAsJsonAsync("/api/v1/sources", new { name = "recipes", url = repository.Path }, Ct)).EnsureSuccessStatusCode();
        await Eventually.WaitAsync("the source's recipes", async () => (await http.GetStringAsync("/api/v1/recipes", Ct)).Contains("tiny", StringComparison.Ordinal));
        (await http.PostAsync("/api/v1/recipes/tiny/runs", null, Ct)).EnsureSuccessStatusCode();
        // The rootfs stage runs the recipe's "sleep 40": the outage falls inside the build.
        await Eventually.WaitAsync("the rootfs stage", () => Task.FromResult(File.Exists(log) && File.ReadAllText(log).Contains("build: rootfs ...", StringComparison.Ordinal)), 240);
        var before = Rounds(await http.GetStringAsync("/metrics", Ct));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var linesBefore = Lines(server.Output);

        var away = DateTime.UtcNow;
        await using (await TakeAwayAsync(data, postgres))
            await Task.Delay(Outage, Ct);
        var outage = DateTime.UtcNow - away;
        var linesDuring = Lines(server.Output) - linesBefore;
        await Eventually.WaitAsync("the run to end", async () => JsonNode.Parse(await GetAsync(http, "/api/v1/runs/1"))!["finishedAt"] is not null, 300);
        var run = JsonNode.Parse(await http.GetStringAsync("/api/v1/runs/1", Ct))!;
        var after = Rounds(await http.GetStringAsync("/metrics", Ct));
        var elapsed = watch.Elapsed;
        var during = server.Output.Split('\n')[linesBefore..];

        TestContext.Current.SendDiagnosticMessage($"{store}: {outage.TotalSeconds:0} s away; {linesDuring} log lines meanwhile; rounds in {elapsed.TotalSeconds:0} s: "
            + string.Join(", ", after.Select(a => $"{a.Key} {a.Value - before.GetValueOrDefault(a.Key)}")));
        var said = $"\nthe server said meanwhile:\n{string.Join('\n', during.TakeLast(80))}";
        run["state"]!.GetValue<string>().ShouldBe("candidate", $"{store}: {File.ReadAllText(log)}{said}");
        run["attempts"]!.GetValue<int>().ShouldBe(2, $"{store}: built once, validated once: the run was not handed to a second job; its log: {File.ReadAllText(log)}{said}");
        File.ReadAllText(log).ShouldNotContain("the worker of this run stopped");
        foreach (var (loop, rounds) in after)
        {
            var done = rounds - before.GetValueOrDefault(loop);
            (done / elapsed.TotalSeconds).ShouldBeLessThan(2, $"{store}: {loop}: {done} rounds in {elapsed.TotalSeconds:0} s");
        }

        after.Keys.ShouldContain("server: reclaiming runs");
        after.Keys.ShouldContain("server: rollout controller");
        // Each loop's first failure and its recovery, Hangfire's own workers: a few lines, not one per round.
        linesDuring.ShouldBeLessThan(40, $"{store}: {string.Join('\n', during)}");
        // PostgreSQL refuses at once, so the heartbeat fails and says so; SQLite's writers wait for the lock (up to 30 s) instead.
        if (store == TestServer.Postgres)
            string.Join('\n', during).ShouldContain("server: run 1's heartbeat: failed", Case.Sensitive, "the heartbeat noticed the outage");
    }

    /// <summary>SQLite: another process holds the write lock (readers go on, in WAL mode); PostgreSQL: the container is stopped. Disposing gives it back.</summary>
    private static async Task<IAsyncDisposable> TakeAwayAsync(string data, Testcontainers.PostgreSql.PostgreSqlContainer? postgres)
    {
        if (postgres is not null)
        {
            await postgres.StopAsync(Ct);
            return new Restore(async () => await postgres.StartAsync(Ct));
        }

        var holder = new SqliteConnection($"Data Source={Path.Combine(data, "server", "server.db")};Pooling=False");
        await holder.OpenAsync(Ct);
        await using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync(Ct);
        }

        return new Restore(async () =>
        {
            await using (var rollback = holder.CreateCommand())
            {
                rollback.CommandText = "ROLLBACK";
                await rollback.ExecuteNonQueryAsync(Ct);
            }

            await holder.DisposeAsync();
        });
    }

    private sealed class Restore(Func<Task> restore) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await restore();
    }

    /// <summary>The API may answer 500 for a moment after the store came back (a pooled connection to the stopped server).</summary>
    private static async Task<string> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, Ct);
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(Ct) : "{\"finishedAt\":null}";
    }

    [GeneratedRegex("""^imagepipe_loop_rounds_total\{loop="(?<loop>[^"]+)"\} (?<rounds>\d+)$""", RegexOptions.Multiline)]
    private static partial Regex LoopRounds();

    private static Dictionary<string, long> Rounds(string metrics) =>
        LoopRounds().Matches(metrics).ToDictionary(m => m.Groups["loop"].Value, m => long.Parse(m.Groups["rounds"].Value, CultureInfo.InvariantCulture));

    private static int Lines(string output) => output.Count(c => c == '\n');
}
