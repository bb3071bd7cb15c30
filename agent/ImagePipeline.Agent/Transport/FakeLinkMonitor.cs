namespace ImagePipeline.Agent.Transport;

/// <summary>A link a test pulls and plugs back by hand.</summary>
public sealed class FakeLinkMonitor : ILinkMonitor, IDisposable
{
    private readonly LinkState state = new(initiallyUp: true);

    public bool IsUp => state.IsUp;
    public CancellationToken LinkLost => state.LinkLost;

    public void Dispose() => state.Dispose();

    public void Pull() => state.Set(false);

    public void Plug() => state.Set(true);

    public Task<bool> WaitUntilUpAsync(TimeSpan timeout, CancellationToken cancellationToken) => state.WaitUntilUpAsync(timeout, cancellationToken);
}
