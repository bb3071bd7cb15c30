namespace ImagePipeline.Loops;

/// <summary>
/// Exponential backoff with jitter, capped: the n-th failure in a row waits
/// <c>min(Max, First * 2^(n-1))</c>, of which a random half is taken off ("equal jitter"), so
/// many processes that lost one database do not come back in lockstep. <see cref="Reset"/> after
/// a success starts again at <see cref="First"/>.
/// </summary>
public sealed class Backoff
{
    private readonly Random random;

    public Backoff(TimeSpan first, TimeSpan max, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, first);
        First = first;
        Max = max;
        this.random = random ?? Random.Shared;
    }

    public TimeSpan First { get; }
    public TimeSpan Max { get; }

    /// <summary>Failures since the last success.</summary>
    public int Failures { get; private set; }

    /// <summary>Counts a failure and returns how long to wait before the next try: between half the step and the whole step.</summary>
    public TimeSpan NextDelay()
    {
        Failures++;
        var step = Math.Min(Max.TotalMilliseconds, First.TotalMilliseconds * Math.Pow(2, Math.Min(Failures - 1, 30)));
        return TimeSpan.FromMilliseconds(step / 2 + random.NextDouble() * step / 2);
    }

    public void Reset() => Failures = 0;
}
