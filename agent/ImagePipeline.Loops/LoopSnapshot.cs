namespace ImagePipeline.Loops;

/// <summary>A loop's counters at one moment, for an API or a page.</summary>
public sealed record LoopSnapshot(string Name, long Rounds, long Failures, int FailingRounds, long LogLines)
{
    public static LoopSnapshot Of(RetryPacer pacer) => new(pacer.Name, pacer.Rounds, pacer.Failures, pacer.ConsecutiveFailures, pacer.LogLines);
}
