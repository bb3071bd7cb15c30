namespace ImagePipeline.Validation.Harness;

/// <summary>
/// The one retry loop every wait goes through: try until the attempt succeeds or the time is up,
/// then fail with the last reason — diagnostics are gathered once, on the last try, not on every poll.
/// </summary>
public static class Retry
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(250);

    /// <param name="what">what is awaited, for the error ("port 80 to accept connections")</param>
    /// <param name="attempt">returns null on success, else why not yet</param>
    /// <param name="diagnose">called once when time is up; its text is added to the error</param>
    public static async Task UntilAsync(string what, Func<CancellationToken, Task<string?>> attempt, TimeSpan? timeout = null,
        Func<string>? diagnose = null, TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        clock ??= TimeProvider.System;
        var limit = timeout ?? DefaultTimeout;
        var started = clock.GetTimestamp();
        string? reason;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            reason = await attempt(cancellationToken);
            if (reason is null)
                return;
            if (clock.GetElapsedTime(started) >= limit)
                break;
            await Task.Delay(DefaultInterval, clock, cancellationToken);
        }

        var diagnostics = diagnose?.Invoke();
        throw new CheckFailedException($"timed out after {limit.TotalSeconds:0} s waiting for {what}: {reason}" +
            (string.IsNullOrEmpty(diagnostics) ? "" : $"\n{diagnostics}"));
    }
}
