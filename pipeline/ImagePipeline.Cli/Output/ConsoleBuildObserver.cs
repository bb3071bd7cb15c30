using ImagePipeline.Builder;

namespace ImagePipeline.Cli.Output;

/// <summary>
/// Build progress for people: each stage's name as it starts, its elapsed time every 10 s while
/// it runs (a cold base takes a minute or more), and its time and cache status when it ends.
/// </summary>
public sealed class ConsoleBuildObserver(TextWriter output) : IBuildObserver, IDisposable
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(10);
    private readonly Lock gate = new();
    private Timer? ticker;

    public void StageStarted(string stage)
    {
        var started = DateTime.UtcNow;
        lock (gate)
        {
            output.WriteLine($"  ▸ {stage} ...");
            ticker?.Dispose();
            ticker = new Timer(_ =>
            {
                lock (gate)
                    output.WriteLine($"    {stage}: {(DateTime.UtcNow - started).TotalSeconds:0} s");
            }, null, TickInterval, TickInterval);
        }
    }

    public void StageFinished(string stage, TimeSpan elapsed, bool cached)
    {
        lock (gate)
        {
            ticker?.Dispose();
            ticker = null;
            output.WriteLine($"  ✓ {stage,-20} {elapsed.TotalSeconds,7:0.0} s{(cached ? "  (cached)" : "")}");
        }
    }

    public void Message(string text)
    {
        lock (gate)
            output.WriteLine($"    {text}");
    }

    public void Dispose()
    {
        lock (gate)
            ticker?.Dispose();
    }
}
