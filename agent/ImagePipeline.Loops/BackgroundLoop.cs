namespace ImagePipeline.Loops;

/// <summary>
/// A background loop that runs a round every <c>interval</c> and never spins: a failed round waits
/// the <see cref="RetryPacer"/>'s backoff instead (and is logged once however often it repeats),
/// the first success after failures logs the recovery, and shutdown — the token cancelled, or the
/// host's services disposed under the loop — ends it quietly. Any other exception is a failed
/// round, never the end of the loop: a loop that dies leaves a process that looks alive and does
/// nothing.
/// </summary>
public static class BackgroundLoop
{
    public static Task RunAsync(RetryPacer pacer, TimeSpan interval, Func<CancellationToken, Task> round, TimeProvider clock, CancellationToken cancellationToken) =>
        RunAsync(pacer, interval, round, clock, null, TimeSpan.Zero, cancellationToken);

    /// <summary>
    /// As above, and a wake on <paramref name="wakeup"/> starts the next round before the interval
    /// is over, but never sooner than <paramref name="minimumGap"/> after the last round ended (a
    /// burst of wakes is not a busy loop). A failed round's backoff is not cut short by a wake.
    /// </summary>
    public static async Task RunAsync(RetryPacer pacer, TimeSpan interval, Func<CancellationToken, Task> round, TimeProvider clock, LoopWakeup? wakeup, TimeSpan minimumGap,
        CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await round(cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // the loop's whole point: every failure is a round to retry, never the loop's end.
            catch (Exception e)
#pragma warning restore CA1031
            {
                if (!await BackOffAsync(pacer, e, cancellationToken).ConfigureAwait(false))
                    return;
                continue;
            }

            pacer.Succeeded();
            try
            {
                if (wakeup is null)
                {
                    await Task.Delay(interval, clock, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var gap = minimumGap < interval ? minimumGap : interval;
                    await Task.Delay(gap, clock, cancellationToken).ConfigureAwait(false);
                    await wakeup.WaitAsync(interval - gap, clock, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// After a failed round of a loop shaped otherwise (a socket's receive loop): false when the
    /// error is the loop's shutdown (it should end), else true once the backoff's wait is over.
    /// </summary>
    public static async Task<bool> BackOffAsync(RetryPacer pacer, Exception error, CancellationToken cancellationToken)
    {
        if (IsShutdown(error, cancellationToken))
            return false;
        try
        {
            await pacer.FailedAsync(error, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// The loop is being stopped, not failing: its own token was cancelled, or what it works with
    /// was disposed (a host's service provider goes away after its hosted services were asked to stop).
    /// A timeout's cancellation (an HttpClient's, say) with the loop's token still live is a failure.
    /// </summary>
    public static bool IsShutdown(Exception error, CancellationToken cancellationToken) =>
        (error is OperationCanceledException && cancellationToken.IsCancellationRequested)
        || error is ObjectDisposedException
        || (error.InnerException is { } inner && IsShutdown(inner, cancellationToken));
}
