namespace ImagePipeline.Agent.Transport;

/// <summary>The link-state bookkeeping both monitors share: who is waiting for the link, and the token that the next loss cancels.</summary>
internal sealed class LinkState : IDisposable
{
    private readonly Lock gate = new();
    private CancellationTokenSource lost = new();
    private TaskCompletionSource up = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LinkState(bool initiallyUp)
    {
        IsUp = initiallyUp;
        if (initiallyUp)
            up.TrySetResult();
    }

    public bool IsUp { get; private set; }

    public CancellationToken LinkLost
    {
        get
        {
            lock (gate)
                return lost.Token;
        }
    }

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
