namespace ImagePipeline.Loops;

/// <summary>
/// The one policy every background loop of the product follows after a failed round: wait
/// (<see cref="Backoff"/>: exponential with jitter, capped) and log the error once however often
/// it repeats (<see cref="RepeatedErrorLog"/>). <see cref="BackgroundLoop"/> uses it for loops
/// that run rounds; loops shaped otherwise (a socket's receive loop, a bounded retry) call
/// <see cref="FailedAsync"/> and <see cref="Succeeded"/> themselves. Safe to share between
/// concurrent loops of one kind.
/// </summary>
public sealed class RetryPacer
{
    private readonly Backoff backoff;
    private readonly RepeatedErrorLog log;
    private readonly TimeProvider clock;
    private readonly Lock gate = new();
    private long rounds;
    private long failures;

    /// <param name="name">what fails, as the log line starts: "server: reclaiming runs"</param>
    /// <param name="write">where the (few) lines go</param>
    /// <param name="maxDelay">the cap: how long the loop may sleep at most between two tries</param>
    public RetryPacer(string name, Action<string> write, TimeProvider clock, TimeSpan firstDelay, TimeSpan maxDelay, Random? random = null)
    {
        backoff = new Backoff(firstDelay, maxDelay, random);
        log = new RepeatedErrorLog(name, write, clock);
        this.clock = clock;
    }

    public string Name => log.Name;

    /// <summary>Rounds done, failed or not.</summary>
    public long Rounds => Interlocked.Read(ref rounds);

    /// <summary>Failed rounds since the start.</summary>
    public long Failures => Interlocked.Read(ref failures);

    /// <summary>Log lines this loop has written.</summary>
    public long LogLines => log.Lines;

    /// <summary>Failed rounds since the last success: non-zero while the loop's dependency is away.</summary>
    public int ConsecutiveFailures => backoff.Failures;

    /// <summary>A round succeeded: the backoff starts over, and a recovery is logged once.</summary>
    public void Succeeded()
    {
        Interlocked.Increment(ref rounds);
        if (backoff.Failures == 0)
            return;
        lock (gate)
        {
            backoff.Reset();
            log.Recovered();
        }
    }

    /// <summary>A round failed: logged (once for a repeated error), then the backoff's wait.</summary>
    public Task FailedAsync(Exception error, CancellationToken cancellationToken) => FailedAsync(Describe(error), cancellationToken);

    public Task FailedAsync(string error, CancellationToken cancellationToken) => Task.Delay(Failed(error), clock, cancellationToken);

    /// <summary>A round failed: logged (once for a repeated error); returns how long to wait before the next, for a loop that waits by itself.</summary>
    public TimeSpan Failed(Exception error) => Failed(Describe(error));

    public TimeSpan Failed(string error)
    {
        Interlocked.Increment(ref rounds);
        Interlocked.Increment(ref failures);
        // Loops that share a pacer (one per request: live pages, log streams) fail at the same moment.
        lock (gate)
        {
            var delay = backoff.NextDelay();
            log.Failed(error, delay);
            return delay;
        }
    }

    /// <summary>The error's type and message, and the innermost cause's when it says more (a DbUpdateException's SqliteException).</summary>
    public static string Describe(Exception error)
    {
        var inner = error;
        while (inner.InnerException is not null)
            inner = inner.InnerException;
        var text = $"{error.GetType().Name}: {error.Message}";
        return ReferenceEquals(inner, error) || error.Message.Contains(inner.Message, StringComparison.Ordinal) ? text : $"{text} ({inner.GetType().Name}: {inner.Message})";
    }
}
