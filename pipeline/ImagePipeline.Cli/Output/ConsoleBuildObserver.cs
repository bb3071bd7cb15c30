using ImagePipeline.Builder;

namespace ImagePipeline.Cli.Output;

/// <summary>Build progress for people: each stage's name as it starts, its time (and whether it came from the cache) when it ends.</summary>
public sealed class ConsoleBuildObserver(TextWriter output) : IBuildObserver
{
    public void StageStarted(string stage) => output.WriteLine($"  ▸ {stage} ...");

    public void StageFinished(string stage, TimeSpan elapsed, bool cached) =>
        output.WriteLine($"  ✓ {stage,-20} {elapsed.TotalSeconds,7:0.0} s{(cached ? "  (cached)" : "")}");

    public void Message(string text) => output.WriteLine($"    {text}");
}
