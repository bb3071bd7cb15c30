using ImagePipeline.Builder;

namespace ImagePipeline.Server.Jobs;

/// <summary>A build's stages and messages, into its run's log.</summary>
public sealed class RunLogObserver(RunLogs logs, long runId) : IBuildObserver
{
    public void StageStarted(string stage) => logs.Append(runId, $"build: {stage} ...");

    public void StageFinished(string stage, TimeSpan elapsed, bool cached) =>
        logs.Append(runId, $"build: {stage} done in {elapsed.TotalSeconds:0.0} s{(cached ? " (cached)" : "")}");

    public void Message(string text) => logs.Append(runId, $"build: {text}");
}
