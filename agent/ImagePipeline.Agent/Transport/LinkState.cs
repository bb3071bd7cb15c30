namespace ImagePipeline.Agent.Transport;

/// <summary>The link-state bookkeeping both monitors share: who is waiting for the link, and the token that the next loss cancels.</summary>
internal sealed class LinkState : IDisposable
{
    private readonly Lock gate = new();
    // Read on every read of the download (the agent's hot path): volatile, no lock; replaced only under the lock.
    private volatile CancellationTokenSource lost = new();
    private TaskCompletionSource up = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LinkState(bool initiallyUp)
    {
        IsUp = initiallyUp;
        if (initiallyUp)
            up.TrySetResult();
    }

    public bool IsUp { get; private set; }

    public CancellationToken LinkLost => lost.Token;

    public void Set(bool isUp)
    {
        CancellationTokenSource? cancel = null;
        lock (gate)
        {
            if (isUp == IsUp)
                return;
            IsUp = isUp;
            if (isUp)
            {
                lost = new CancellationTokenSource();
                up.TrySetResult();
            }
            else
            {
                cancel = lost;
                up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        cancel?.Cancel();
    }

    /// <summary>Tokens already handed out stay valid: a replaced source is left to the collector, not disposed under a reader.</summary>
    public void Dispose()
    {
        lock (gate)
            lost.Dispose();
    }

    public async Task<bool> WaitUntilUpAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task waiting;
        lock (gate)
            waiting = up.Task;
        try
        {
            await waiting.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
