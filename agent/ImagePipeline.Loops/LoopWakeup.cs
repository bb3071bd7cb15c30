using System.Threading.Channels;

namespace ImagePipeline.Loops;

/// <summary>
/// A nudge for a <see cref="BackgroundLoop"/> that otherwise runs every interval: something it acts
/// on has happened, so its next round should not wait for the interval. Wakes while a round runs
/// are kept (as one), so none is lost between the round and the wait; many wakes are one round.
/// </summary>
public sealed class LoopWakeup
{
    private readonly Channel<bool> pending = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => pending.Writer.TryWrite(true);

    /// <summary>Until a wake (one that came before this call counts), or <paramref name="timeout"/>; true when woken.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (pending.Reader.TryRead(out _))
            return true;
        using var timer = new CancellationTokenSource(timeout, clock);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await pending.Reader.WaitToReadAsync(waiting.Token).ConfigureAwait(false);
            return pending.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
