using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CliWrap;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Server.State;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Lab;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench scale</c>: a rollout over a simulated fleet through the real system — the
/// server (its own process, on a PostgreSQL container), one boot service process per site (4 sites,
/// loopback), machines registered in one batch, and <see cref="ScaleFleet"/>'s simulated machines
/// speaking Redfish and the real agent API with their own timing, a few failing. Run at 1,000
/// machines and then at 10,000, each on fresh processes and a fresh database. Measured: the wall
/// time the system adds beyond the machines' own time (each wave's slowest machine, summed), the
/// decision latency per wave (its last machine's report to the server's decision), events/s
/// through the boot services, the server's database rows/s, each process's CPU and peak memory,
/// and HTTP errors. Goals at 10,000: added time under 5% of the machines' time, decision p99
/// under 1 s, the server's peak memory under 1 GiB, no HTTP error.
/// </summary>
public static class ScaleBenchmark
{
    private static readonly string[] Sites = ["fra1", "ams1", "zrh1", "lon1"];
    private const string Steps = "1+1%+10%+50%";
    private const string BootServiceToken = "bench-scale-bootsvc-token";
    private const string AdminPassword = "bench-scale-admin-password";
    private static readonly string[] ApproverRoles = ["approver"];

    public static async Task<int> RunAsync(IReadOnlyList<int> sizes, CancellationToken cancellationToken)
    {
        var launcher = CliLauncher.ForAssembly(typeof(ScaleBenchmark).Assembly.Location);
        await using var postgres = await ThrowawayPostgres.StartAsync(cancellationToken);
        var scratch = Directory.CreateTempSubdirectory("imagepipe-bench-scale-");
        var results = new List<ScaleResult>();
        try
        {
            foreach (var size in sizes)
            {
                Console.WriteLine($"=== {size:N0} machines over {Sites.Length} sites ===");
                results.Add(await RunOnceAsync(launcher, postgres, Path.Combine(scratch.FullName, size.ToString(CultureInfo.InvariantCulture)), size, cancellationToken));
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }

        BenchTable.Header();
        foreach (var result in results)
        {
            var n = $"{result.Machines:N0}";
            BenchTable.Row($"{n}: rollout wall vs machines' own time", Seconds(result.WallSeconds), Seconds(result.AgentSeconds), result.WallSeconds / result.AgentSeconds,
                $"added < 5%: {result.AddedPercent:0.0}%");
            BenchTable.Row($"{n}: wave decision p99 (last report → decision)", Seconds(result.DecisionP99), "1.0 s", result.DecisionP99, "< 1 s");
            BenchTable.Row($"{n}: server peak memory", Mebibytes(result.ServerPeakBytes), "1024 MiB", result.ServerPeakBytes / (1024.0 * 1048576), "< 1 GiB");
            BenchTable.Row($"{n}: HTTP errors", result.HttpErrors.ToString(CultureInfo.InvariantCulture), "0", result.HttpErrors, "none");
        }

        var last = results[^1];
        var met = last.AddedPercent < 5 && last.DecisionP99 < 1 && last.ServerPeakBytes < 1024L * 1048576 && results.All(r => r.HttpErrors == 0 && r.Completed);
        Console.WriteLine(met ? "all goals met" : "a goal was missed: see the table");
        return met ? ExitCodes.Success : ExitCodes.Failed;
    }

    private static async Task<ScaleResult> RunOnceAsync(CliLauncher launcher, ThrowawayPostgres postgres, string scratch, int size, CancellationToken cancellationToken)
    {
        var database = await CreateDatabaseAsync(postgres.ConnectionString, $"scale{size}", cancellationToken);
        var data = Directory.CreateDirectory(Path.Combine(scratch, "server")).FullName;
        var imageId = await StandInImageAsync(data, cancellationToken);

        var bootServices = new List<(string Site, Uri Url, ChildProcess Process)>();
        ChildProcess? server = null;
        ScaleFleet? fleet = null;
        try
        {
            foreach (var site in Sites)
            {
                var port = LoopbackBootService.FreeTcpPort();
                var process = await ChildProcess.StartAsync($"the boot service of {site}", CliWrap.Cli.Wrap(launcher.Program)
                    .WithArguments([.. launcher.Arguments, "bootsvc", "--mode", "http", "--http-port", port.ToString(CultureInfo.InvariantCulture),
                        "--data", Path.Combine(scratch, $"bootsvc-{site}"), "--artifacts", ArtifactStoreLayout.Root(data)])
                    .WithEnvironmentVariables(e => e.Set("IMAGEPIPE_ADMIN_TOKEN", BootServiceToken)), "boot service ready", TimeSpan.FromMinutes(1),
                    Path.Combine(scratch, $"bootsvc-{site}.log"), cancellationToken);
                bootServices.Add((site, new Uri($"http://127.0.0.1:{port}/"), process));
            }

            var serverUrl = new Uri($"http://127.0.0.1:{LoopbackBootService.FreeTcpPort()}/");
            server = await ChildProcess.StartAsync("the server", CliWrap.Cli.Wrap(launcher.Program)
                .WithArguments([.. launcher.Arguments, "server", "--urls", serverUrl.ToString().TrimEnd('/'), "--data", data, "--database", database, "--channels", "production:1",
                    .. bootServices.SelectMany(b => new[] { "--site", $"{b.Site}={b.Url}" })])
                .WithEnvironmentVariables(e => e.Set("IMAGEPIPE_ADMIN_PASSWORD", AdminPassword).Set("IMAGEPIPE_BOOTSVC_TOKEN", BootServiceToken)),
                "server ready", TimeSpan.FromMinutes(3), Path.Combine(scratch, "server.log"), cancellationToken);
            using var admin = await ClientAsync(serverUrl, "admin", AdminPassword, cancellationToken);
            await RecordCandidateAsync(database, imageId, cancellationToken);
            await ApproveAsync(admin, serverUrl, imageId, cancellationToken);

            fleet = await ScaleFleet.StartAsync([.. bootServices.Select(b => (b.Site, b.Url))], size, cancellationToken);
            var watch = Stopwatch.StartNew();
            (await admin.PostAsJsonAsync("/api/v1/machines/batch", fleet.Registrations(), cancellationToken)).EnsureSuccessStatusCode();
            Console.WriteLine($"{size:N0} machines registered in one request: {watch.Elapsed.TotalSeconds:0.0} s");

            var cpuBefore = bootServices.Select(b => ProcessGauge.CpuSeconds(b.Process.ProcessId)).Append(ProcessGauge.CpuSeconds(server.ProcessId)).ToArray();
            var cursorsBefore = await CursorsAsync(bootServices.Select(b => b.Url), cancellationToken);
            var rowsBefore = await RowsWrittenAsync(database, cancellationToken);
            var startedAt = DateTime.UtcNow;
            var started = Stopwatch.GetTimestamp();
            var response = await admin.PostAsJsonAsync("/api/v1/rollouts", new
            {
                imageId, selector = new { labels = new Dictionary<string, string> { ["fleet"] = "bench-scale" } },
                plan = new { steps = Steps, bakeSeconds = 0, waveTimeoutSeconds = 900, maxFailuresPerWave = Math.Max(1, size / 100) },
            }, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"the rollout was refused: {(int)response.StatusCode} {body}");
            var id = JsonNode.Parse(body)!["id"]!.GetValue<long>();
            Console.WriteLine($"rollout {id} started: plan {Steps}, no bake");

            var decisions = await FollowAsync(admin, id, cancellationToken);
            var rowsAfter = await RowsWrittenAsync(database, cancellationToken);
            var cursorsAfter = await CursorsAsync(bootServices.Select(b => b.Url), cancellationToken);
            var cpuAfter = bootServices.Select(b => ProcessGauge.CpuSeconds(b.Process.ProcessId)).Append(ProcessGauge.CpuSeconds(server.ProcessId)).ToArray();
            var rollout = JsonNode.Parse(await admin.GetStringAsync($"/api/v1/rollouts/{id}", cancellationToken))!;
            var completed = rollout["state"]!.GetValue<string>() == "completed";
            Console.WriteLine($"rollout {id} {rollout["state"]}: {rollout["reason"]}");

            return Summarise(size, fleet, rollout, decisions, startedAt, started, completed,
                cpu: [.. cpuAfter.Zip(cpuBefore, (a, b) => a - b)],
                peaks: [.. bootServices.Select(b => ProcessGauge.PeakResidentBytes(b.Process.ProcessId)), ProcessGauge.PeakResidentBytes(server.ProcessId)],
                events: cursorsAfter - cursorsBefore, rows: rowsAfter - rowsBefore);
        }
        finally
        {
            if (fleet is not null)
                await fleet.DisposeAsync();
            if (server is not null)
                await server.DisposeAsync();
            foreach (var (_, _, process) in bootServices)
                await process.DisposeAsync();
        }
    }

    /// <summary>The figures of one run, printed wave by wave, and kept for the table.</summary>
    private static ScaleResult Summarise(int size, ScaleFleet fleet, JsonNode rollout, List<DateTime> decisions, DateTime startedAt, long started, bool completed,
        double[] cpu, long[] peaks, long events, long rows)
    {
        DateTime At(long timestamp) => startedAt + Stopwatch.GetElapsedTime(started, timestamp);
        var byName = fleet.Machines.ToDictionary(m => m.Name, StringComparer.Ordinal);
        var waves = rollout["targets"]!.AsArray().GroupBy(t => t!["wave"]!.GetValue<int>()).OrderBy(g => g.Key)
            .Select(g => g.Select(t => byName[t!["machine"]!.GetValue<string>()]).ToList()).ToList();
        var end = decisions.Count > 0 ? decisions[^1] : DateTime.UtcNow;
        var wall = (end - startedAt).TotalSeconds;
        double agents = 0;
        var latencies = new List<double>();
        Console.WriteLine();
        Console.WriteLine($"{"wave",-8} {"machines",8} {"slowest",8} {"1st reset",10} {"resets",7} {"last end",9} {"decided",8} {"latency",8}");
        for (var i = 0; i < waves.Count; i++)
        {
            var wave = waves[i];
            var slowest = wave.Max(m => m.Timing.Total.TotalSeconds);
            agents += slowest;
            var resets = wave.Where(m => m.ResetTimestamp != 0).Select(m => At(m.ResetTimestamp)).ToList();
            var ends = wave.Where(m => m.EndTimestamp != 0).Select(m => At(m.EndTimestamp)).ToList();
            var decided = i < decisions.Count ? decisions[i] : (DateTime?)null;
            double? latency = decided is { } d && ends.Count == wave.Count ? (d - ends.Max()).TotalSeconds : null;
            if (latency is { } l)
                latencies.Add(l);
            Console.WriteLine($"{(i == 0 ? "canary" : $"wave {i}"),-8} {wave.Count,8} {slowest,7:0.0}s {Offset(resets.Count > 0 ? resets.Min() : null),10} "
                + $"{(resets.Count > 0 ? (resets.Max() - resets.Min()).TotalSeconds : 0),6:0.0}s {Offset(ends.Count > 0 ? ends.Max() : null),9} {Offset(decided),8} "
                + $"{(latency is { } x ? $"{x:0.00}s" : "-"),8}");
        }

        string Offset(DateTime? at) => at is { } t ? $"+{(t - startedAt).TotalSeconds:0.0}s" : "-";
        latencies.Sort();
        var p99 = latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(latencies.Count * 0.99) - 1)];
        var failed = fleet.Machines.Count(m => m.EndTimestamp != 0 && !m.EndedHealthy);
        Console.WriteLine($"(slowest: the wave's slowest machine's own time; resets: from the wave's first power cycle to its last; latency: its last report to the server's decision)");
        Console.WriteLine($"rollout: {wall:0.0} s; the machines' own time (each wave's slowest, summed) {agents:0.0} s; added by the system {wall - agents:0.0} s ({(wall - agents) / agents * 100:0.0}%)");
        Console.WriteLine($"machines: {fleet.Machines.Count(m => m.EndedHealthy)} healthy, {failed} reported a failed unit (one in {ScaleFleet.OneFailingIn}); HTTP errors {fleet.Errors}");
        foreach (var error in fleet.FirstErrors)
            Console.WriteLine($"  error: {error}");
        Console.WriteLine($"events through the boot services: {events:N0} ({events / wall:0} /s); server database rows written: {rows:N0} ({rows / wall:0} /s)");
        for (var i = 0; i < Sites.Length; i++)
            Console.WriteLine($"boot service {Sites[i]}: CPU {cpu[i]:0.0} s ({cpu[i] / wall * 100:0}% of a core), peak memory {Mebibytes(peaks[i])}");
        Console.WriteLine($"server: CPU {cpu[^1]:0.0} s ({cpu[^1] / wall * 100:0}% of a core), peak memory {Mebibytes(peaks[^1])}");
        Console.WriteLine();
        return new ScaleResult(size, completed, wall, agents, p99, peaks[^1], fleet.Errors);
    }

    /// <summary>The wave decisions' times, in order, from the rollout's audit entries; it ends when the rollout does (completed, or paused on a failed wave).</summary>
    private static async Task<List<DateTime>> FollowAsync(HttpClient admin, long id, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var prefix = $"rollout {id}: ";
        while (true)
        {
            await Task.Delay(1000, cancellationToken);
            var entries = JsonNode.Parse(await admin.GetStringAsync("/api/v1/audit", cancellationToken))!.AsArray()
                .Where(a => a!["detail"]!.GetValue<string>().StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(a => a!["id"]!.GetValue<long>()).ToList();
            var ended = entries.Any(a => a!["action"]!.GetValue<string>() is "rollout-completed" or "rollout-wave-failed");
            if (ended || deadline.Elapsed > TimeSpan.FromMinutes(30))
            {
                return [.. entries.Where(a => a!["action"]!.GetValue<string>() is "rollout-wave-passed" or "rollout-completed" or "rollout-wave-failed")
                    .Select(a => DateTime.SpecifyKind(a!["at"]!.GetValue<DateTime>(), DateTimeKind.Utc))];
            }
        }
    }

    /// <summary>The sum of the boot services' event cursors (each one's number of events so far).</summary>
    private static async Task<long> CursorsAsync(IEnumerable<Uri> bootServices, CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var url in bootServices)
        {
            using var http = new HttpClient { BaseAddress = url };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BootServiceToken);
            total += JsonNode.Parse(await http.GetStringAsync("api/v1/events/snapshot", cancellationToken))!["cursor"]!.GetValue<long>();
        }

        return total;
    }

    /// <summary>Rows inserted, updated and deleted in the database so far, as PostgreSQL's statistics count them.</summary>
    private static async Task<long> RowsWrittenAsync(string database, CancellationToken cancellationToken)
    {
        // The statistics reach pg_stat_database within a second of a transaction's end.
        await Task.Delay(1500, cancellationToken);
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database()", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static async Task<string> CreateDatabaseAsync(string server, string name, CancellationToken cancellationToken)
    {
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// The image the rollout deploys: the simulated machines never fetch it, so it is a stand-in in
    /// the server's artifact store (a manifest and a placeholder disk), as the boot services need to
    /// accept it as a desired image. Its id is random, as each run's database is new.
    /// </summary>
    private static async Task<string> StandInImageAsync(string data, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"bench-scale-{Guid.NewGuid()}")));
        var directory = Directory.CreateDirectory(ArtifactStoreLayout.ImageDirectory(ArtifactStoreLayout.Root(data), id));
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "manifest.json"), """{"disk":{"size":536870912,"growRoot":false}}""", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, ArtifactStoreLayout.CompressedDisk), "stand-in", cancellationToken);
        return id;
    }

    /// <summary>The stand-in as a candidate of a run that passed (what the server records when a run's validation passes).</summary>
    private static async Task RecordCandidateAsync(string database, string imageId, CancellationToken cancellationToken)
    {
        await using var db = new PostgresPipelineDb(new DbContextOptionsBuilder<PostgresPipelineDb>().UseNpgsql(database).Options);
        db.Images.Add(new ImageVersion { ImageId = imageId, RecipeName = "bench-scale", InputDigest = "bench-scale", Commit = "bench-scale", Channel = "candidate", RunId = 1, CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Asked for by the admin, approved by a second account (four eyes): in production, signed.</summary>
    private static async Task ApproveAsync(HttpClient admin, Uri serverUrl, string imageId, CancellationToken cancellationToken)
    {
        const string approverPassword = "bench-scale-approver-password";
        (await admin.PostAsJsonAsync("/api/v1/accounts", new { name = "bench-approver", password = approverPassword, roles = ApproverRoles }, cancellationToken)).EnsureSuccessStatusCode();
        var asked = await admin.PostAsJsonAsync($"/api/v1/images/{imageId}/promotions", new { comment = "bench scale" }, cancellationToken);
        var promotion = JsonNode.Parse(await asked.Content.ReadAsStringAsync(cancellationToken))!;
        asked.EnsureSuccessStatusCode();
        using var approver = await ClientAsync(serverUrl, "bench-approver", approverPassword, cancellationToken);
        (await approver.PostAsJsonAsync($"/api/v1/promotions/{promotion["id"]}/approve", new { comment = "bench scale" }, cancellationToken)).EnsureSuccessStatusCode();
    }

    /// <summary>An API client as <paramref name="account"/>, with a token traded for its password.</summary>
    private static async Task<HttpClient> ClientAsync(Uri server, string account, string password, CancellationToken cancellationToken)
    {
        var client = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(2) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tokens") { Content = JsonContent.Create(new { name = "bench-scale" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account}:{password}")));
        using var response = await client.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!["token"]!.GetValue<string>());
        return client;
    }

    private static string Seconds(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0} s");

    private static string Mebibytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0} MiB");

    private sealed record ScaleResult(int Machines, bool Completed, double WallSeconds, double AgentSeconds, double DecisionP99, long ServerPeakBytes, int HttpErrors)
    {
        public double AddedPercent => (WallSeconds - AgentSeconds) / AgentSeconds * 100;
    }
}
