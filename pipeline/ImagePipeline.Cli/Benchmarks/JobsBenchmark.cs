using System.Collections.Concurrent;
using System.Diagnostics;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using Npgsql;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench jobs</c>: how fast the server's job storage hands work to a worker. Empty
/// jobs, so only the storage and Hangfire count: latency one job at a time on an idle queue, then
/// the throughput of a burst, on the embedded SQLite store and on PostgreSQL (the scale-out store;
/// a throwaway container unless <c>--database</c> names one), both with the poll interval the
/// server uses, against Hangfire's in-memory storage — no database at all, the limit of Hangfire
/// itself.
/// </summary>
public static class JobsBenchmark
{
    private const int Singles = 40;
    private const int Burst = 500;
    private static readonly ConcurrentDictionary<Guid, long> Started = new();

    public static async Task<int> RunAsync(string? database, CancellationToken cancellationToken)
    {
        GlobalConfiguration.Configuration.UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
        var scratch = Directory.CreateTempSubdirectory("imagepipe-bench-jobs-");
        try
        {
            Console.WriteLine("SQLite (the embedded store, queue poll 1 s):");
            using var sqliteStorage = new SQLiteStorage(Path.Combine(scratch.FullName, "hangfire.db"), new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromSeconds(1) });
            var sqlite = await MeasureAsync(sqliteStorage, cancellationToken);
            (double P50, double P99, double PerSecond) postgres;
            await using (var throwaway = database is null ? await ThrowawayPostgres.StartAsync(cancellationToken) : null)
            {
                var connectionString = database ?? throwaway!.ConnectionString;
                Console.WriteLine($"PostgreSQL ({(database is null ? "a throwaway local container" : "--database")}, queue poll 1 s):");
                var postgresStorage = new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, PostgresOptions), PostgresOptions);
                postgres = await MeasureAsync(postgresStorage, cancellationToken);
                if (database is not null)
                    await DropSchemaAsync(connectionString, cancellationToken);
            }

            Console.WriteLine("in-memory (no database):");
            using var memoryStorage = new InMemoryStorage();
            var memory = await MeasureAsync(memoryStorage, cancellationToken);

            BenchTable.Header();
            foreach (var (store, figures) in new[] { ("SQLite", sqlite), ("PostgreSQL", postgres) })
            {
                BenchTable.Row($"enqueue→start p50, idle queue ({store})", $"{figures.P50 * 1000:0} ms", $"{memory.P50 * 1000:0.0} ms", figures.P50 / Math.Max(memory.P50, 1e-6), "< 2 s (a trigger feels immediate)");
                BenchTable.Row($"enqueue→start p99, idle queue ({store})", $"{figures.P99 * 1000:0} ms", $"{memory.P99 * 1000:0.0} ms", figures.P99 / Math.Max(memory.P99, 1e-6), "-");
                BenchTable.Row($"throughput, {Burst} jobs, 2 workers ({store})", $"{figures.PerSecond:0}/s", $"{memory.PerSecond:0}/s", figures.PerSecond / memory.PerSecond, "≫ builds per hour");
            }
            return ExitCodes.Success;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>A schema of its own, so a named database keeps nothing of the benchmark.</summary>
    private static readonly PostgreSqlStorageOptions PostgresOptions = new() { SchemaName = "imagepipe_bench_jobs", QueuePollInterval = TimeSpan.FromSeconds(1), PrepareSchemaIfNecessary = true };

    private static async Task DropSchemaAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {PostgresOptions.SchemaName} CASCADE", connection);
        await drop.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The job: it only records when it started.</summary>
    public static void Record(Guid id) => Started[id] = Stopwatch.GetTimestamp();

    private static async Task<(double P50, double P99, double PerSecond)> MeasureAsync(JobStorage storage, CancellationToken cancellationToken)
    {
        var client = new BackgroundJobClient(storage);
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = 2, SchedulePollingInterval = TimeSpan.FromSeconds(1) }, storage);
        var latencies = new List<double>();
        for (var i = 0; i < Singles; i++)
        {
            var id = Guid.NewGuid();
            var enqueued = Stopwatch.GetTimestamp();
            client.Enqueue(() => Record(id));
            while (!Started.ContainsKey(id))
                await Task.Delay(2, cancellationToken);
            latencies.Add(Stopwatch.GetElapsedTime(enqueued, Started[id]).TotalSeconds);
        }

        var ids = Enumerable.Range(0, Burst).Select(_ => Guid.NewGuid()).ToList();
        var watch = Stopwatch.StartNew();
        foreach (var id in ids)
            client.Enqueue(() => Record(id));
        while (ids.Any(id => !Started.ContainsKey(id)))
            await Task.Delay(10, cancellationToken);
        var perSecond = Burst / watch.Elapsed.TotalSeconds;
        latencies.Sort();
        var p50 = latencies[latencies.Count / 2];
        var p99 = latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(latencies.Count * 0.99) - 1)];
        Console.WriteLine($"  latency p50 {p50 * 1000:0.0} ms, p99 {p99 * 1000:0.0} ms; {Burst} jobs in {watch.Elapsed.TotalSeconds:0.00} s ({perSecond:0}/s)");
        return (p50, p99, perSecond);
    }
}
