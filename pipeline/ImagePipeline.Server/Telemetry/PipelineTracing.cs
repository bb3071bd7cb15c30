using System.Diagnostics;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Telemetry;

/// <summary>
/// The server's traces: one trace per pipeline run, rooted at its trigger (<c>pipeline.trigger</c>,
/// under the HTTP request that asked for it when there was one), with the build and its stages,
/// the validation and each profile, promotions of its image, and rollouts of it — their waves,
/// each machine's deployment and its phases — as descendants. The work happens in many jobs and
/// controller rounds, maybe on several servers, so the parent of each is stored with the run or
/// the rollout (W3C traceparent) rather than kept in memory; work that is only known once it
/// ended (a profile, a wave, a machine) is recorded with its real start and end times. Spans are
/// made only while something listens (<c>server --otlp-endpoint</c>, or a test's exporter).
/// </summary>
public static class PipelineTracing
{
    public const string SourceName = "ImagePipeline";
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>A span under the stored <paramref name="traceParent"/> (none stored: under whatever is current), started now or at <paramref name="startedAt"/>; null when nothing listens.</summary>
    public static Activity? Start(string name, string? traceParent, DateTimeOffset startedAt = default, ActivityKind kind = ActivityKind.Internal)
    {
        if (!Source.HasListeners())
            return null;
        var parent = ActivityContext.TryParse(traceParent, null, out var stored) ? stored : default;
        return Source.StartActivity(name, kind, parent, startTime: startedAt);
    }

    /// <summary>A span of work that already ended: its real start and end, under <paramref name="parent"/>.</summary>
    public static Activity? Record(string name, Activity? parent, DateTimeOffset startedAt, DateTimeOffset endedAt, params (string Key, object? Value)[] tags) =>
        Record(name, parent?.Id, startedAt, endedAt, tags);

    /// <summary>A span of work that already ended, under a stored traceparent; returns it (ended) so spans can be recorded under it.</summary>
    public static Activity? Record(string name, string? traceParent, DateTimeOffset startedAt, DateTimeOffset endedAt, params (string Key, object? Value)[] tags)
    {
        var span = Start(name, traceParent, startedAt);
        if (span is null)
            return null;
        foreach (var (key, value) in tags)
            span.SetTag(key, value);
        span.SetEndTime(endedAt.UtcDateTime);
        span.Stop();
        return span;
    }

    /// <summary>The trace of the run that made <paramref name="imageId"/> (its trigger span's traceparent), or null when it has none or nothing listens.</summary>
    public static async Task<string?> ImageTraceAsync(PipelineDb db, string imageId, CancellationToken cancellationToken)
    {
        if (!Source.HasListeners())
            return null;
        var runId = await db.Images.Where(i => i.ImageId == imageId).Select(i => (long?)i.RunId).SingleOrDefaultAsync(cancellationToken);
        return runId is null ? null : await db.Runs.Where(r => r.Id == runId).Select(r => r.TraceParent).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Marks the span failed with the reason (OpenTelemetry's error status).</summary>
    public static void Failed(Activity? span, string reason) => span?.SetStatus(ActivityStatusCode.Error, reason);
}
