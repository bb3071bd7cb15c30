namespace ImagePipeline.Builder;

/// <summary>An observer for builds nobody watches (benchmarks' setup, tests): it ignores everything.</summary>
public sealed class NullBuildObserver : IBuildObserver
{
    public static readonly NullBuildObserver Instance = new();

    private NullBuildObserver()
    {
    }

    public void StageStarted(string stage)
    {
    }

    public void StageFinished(string stage, TimeSpan elapsed, bool cached)
    {
    }

    public void Message(string text)
    {
    }
}
