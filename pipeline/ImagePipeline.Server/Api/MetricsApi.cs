using System.Globalization;
using System.Text;
using Hangfire;
using ImagePipeline.Loops;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>
/// GET /metrics in Prometheus's text exposition format (0.0.4): runs by state and their
/// durations, image versions by channel, Hangfire's queue lengths and job counts, refused
/// webhooks. Read from the state database and the job storage at scrape time, so every server
/// process reports the same shared figures; loops and refused webhooks are this process's own.
/// </summary>
public static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", async (IDbContextFactory<PipelineDb> databases, JobStorage storage, LoopRegistry loops, Webhooks.RefusalAudit refusals, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var text = new StringBuilder();
            // This process's own background loops (the rest is the shared store's).
            Family(text, "imagepipe_loop_rounds_total", "counter", "Rounds of each background loop of this process, failed or not.");
            foreach (var loop in loops.All)
                Sample(text, "imagepipe_loop_rounds_total", loop.Rounds, ("loop", loop.Name));
            Family(text, "imagepipe_loop_failures_total", "counter", "Failed rounds of each background loop of this process.");
            foreach (var loop in loops.All)
                Sample(text, "imagepipe_loop_failures_total", loop.Failures, ("loop", loop.Name));
            Family(text, "imagepipe_loop_failing_rounds", "gauge", "Failed rounds in a row of each background loop (0 when its last round passed).");
            foreach (var loop in loops.All)
                Sample(text, "imagepipe_loop_failing_rounds", loop.ConsecutiveFailures, ("loop", loop.Name));
            var runs = await db.Runs.GroupBy(r => r.State).Select(g => new { State = g.Key, Count = g.Count() }).ToListAsync(ct);
            Family(text, "imagepipe_runs", "gauge", "Pipeline runs by state.");
            foreach (var state in Enum.GetValues<RunState>())
                Sample(text, "imagepipe_runs", runs.FirstOrDefault(r => r.State == state)?.Count ?? 0, ("state", state.ToString().ToLowerInvariant()));
            var finished = await db.Runs.Where(r => r.FinishedAt != null && r.StartedAt != null).Select(r => new { r.State, r.StartedAt, r.FinishedAt }).ToListAsync(ct);
            Family(text, "imagepipe_run_duration_seconds", "summary", "Wall time of finished runs, from the first start to the end, by final state.");
            foreach (var group in finished.GroupBy(r => r.State))
            {
                var state = group.Key.ToString().ToLowerInvariant();
                Sample(text, "imagepipe_run_duration_seconds_sum", group.Sum(r => (r.FinishedAt!.Value - r.StartedAt!.Value).TotalSeconds), ("state", state));
                Sample(text, "imagepipe_run_duration_seconds_count", group.Count(), ("state", state));
            }

            var images = await db.Images.GroupBy(i => i.Channel).Select(g => new { Channel = g.Key, Count = g.Count() }).ToListAsync(ct);
            Family(text, "imagepipe_image_versions", "gauge", "Image versions by channel.");
            foreach (var channel in images)
                Sample(text, "imagepipe_image_versions", channel.Count, ("channel", channel.Channel));
            Family(text, "imagepipe_webhooks_refused_total", "counter", "Webhooks this server refused for a missing or wrong signature (the audit log folds a flood into one entry a minute).");
            Sample(text, "imagepipe_webhooks_refused_total", refusals.Total);

            var monitoring = storage.GetMonitoringApi();
            Family(text, "imagepipe_queue_length", "gauge", "Jobs waiting in each Hangfire queue.");
            foreach (var queue in new[] { Queues.Critical, Queues.Default, Queues.Validation })
                Sample(text, "imagepipe_queue_length", monitoring.EnqueuedCount(queue), ("queue", queue));
            var statistics = monitoring.GetStatistics();
            Family(text, "imagepipe_jobs", "gauge", "Hangfire jobs by state.");
            Sample(text, "imagepipe_jobs", statistics.Processing, ("state", "processing"));
            Sample(text, "imagepipe_jobs", statistics.Scheduled, ("state", "scheduled"));
            Sample(text, "imagepipe_jobs", statistics.Failed, ("state", "failed"));
            Sample(text, "imagepipe_jobs", statistics.Succeeded, ("state", "succeeded"));
            Family(text, "imagepipe_servers", "gauge", "Hangfire servers (two per imagepipe server process: builds and validation).");
            Sample(text, "imagepipe_servers", statistics.Servers);
            return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
        }).WithTags("metrics").RequireAuthorization(Roles.Policies.Read); // Prometheus sends a viewer's token (authorization: credentials).
        return app;
    }

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void Sample(StringBuilder text, string name, double value, params (string Key, string Value)[] labels)
    {
        text.Append(name);
        if (labels.Length > 0)
            text.Append('{').AppendJoin(',', labels.Select(l => $"{l.Key}=\"{l.Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"")).Append('}');
        text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }
}
