using System.Diagnostics;
using ImagePipeline.Builder;

namespace ImagePipeline.Server.Telemetry;

/// <summary>A build observer that also makes a span per build stage (<c>pipeline.build.stage</c>, cached or not) under the build's span, and passes everything on.</summary>
public sealed class TracedBuildObserver(IBuildObserver inner, Activity? build) : IBuildObserver
{
    private readonly Dictionary<string, Activity> stages = new(StringComparer.Ordinal);

    public void StageStarted(string stage)
    {
        if (PipelineTracing.Start("pipeline.build.stage", build?.Id) is { } span)
        {
            span.SetTag("imagepipeline.stage", stage);
            lock (stages)
                stages[stage] = span;
        }

        inner.StageStarted(stage);
    }

    public void StageFinished(string stage, TimeSpan elapsed, bool cached)
    {
        Activity? span;
        lock (stages)
            stages.Remove(stage, out span);
        span?.SetTag("imagepipeline.cached", cached);
        span?.Stop();
        inner.StageFinished(stage, elapsed, cached);
    }

    public void Message(string text) => inner.Message(text);
}
