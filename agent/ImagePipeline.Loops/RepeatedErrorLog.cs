namespace ImagePipeline.Loops;

/// <summary>
/// A failing loop's log: the first failure is written, an identical failure after it is only
/// counted, a changed one is written again (with how often the one before it repeated), a summary
/// line goes out at most every <see cref="SummaryEvery"/> while the same error lasts, and the
/// recovery is written with the count. A database away for an hour is a handful of lines, not a
/// million.
/// </summary>
public sealed class RepeatedErrorLog(string name, Action<string> write, TimeProvider clock)
{
    public static readonly TimeSpan SummaryEvery = TimeSpan.FromMinutes(5);

    private string? current;
    private int repeats;
    private int failures;
    private DateTimeOffset since;
    private DateTimeOffset lastWritten;

    /// <summary>The name the lines start with (the loop's).</summary>
    public string Name { get; } = name;

    /// <summary>Lines written so far: what a flood would show first.</summary>
    public long Lines => Interlocked.Read(ref lines);

    private long lines;

    public void Failed(string message, TimeSpan retryIn)
    {
        var now = clock.GetUtcNow();
        if (failures++ == 0)
            since = now;
        if (message == current)
        {
            repeats++;
            if (now - lastWritten < SummaryEvery)
                return;
            Write($"{Name}: still failing after {failures} rounds since {since:HH:mm:ss} UTC: {message} (retrying every {Describe(retryIn)} at most)", now);
            return;
        }

        var before = current is not null && repeats > 0 ? $" (the previous error repeated {repeats} more times)" : "";
        (current, repeats) = (message, 0);
        Write($"{Name}: failed: {message}; retrying in {Describe(retryIn)}{before}", now);
    }

    public void Recovered()
    {
        if (failures == 0)
            return;
        var now = clock.GetUtcNow();
        Write($"{Name}: recovered after {failures} failed round{(failures == 1 ? "" : "s")} over {Describe(now - since)}", now);
        (current, repeats, failures) = (null, 0, 0);
    }

    private void Write(string line, DateTimeOffset now)
    {
        lastWritten = now;
        Interlocked.Increment(ref lines);
        write(line);
    }

    private static string Describe(TimeSpan span) => span.TotalSeconds < 60 ? $"{span.TotalSeconds:0.0} s" : $"{span.TotalMinutes:0.0} min";
}
