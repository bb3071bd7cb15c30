using System.Collections.Concurrent;

namespace ImagePipeline.Loops;

/// <summary>
/// A process's background loops by name, so that their rounds and failures can be shown
/// (<c>/metrics</c>, the boot service's stats) and a loop that keeps failing is visible without
/// reading its log. A loop that runs once per request (a live page's event stream) shares one pacer.
/// </summary>
public sealed class LoopRegistry
{
    private readonly ConcurrentDictionary<string, RetryPacer> pacers = new(StringComparer.Ordinal);

    /// <summary>The pacer named <paramref name="name"/>, made on first use.</summary>
    public RetryPacer Pacer(string name, Action<string> write, TimeProvider clock, TimeSpan firstDelay, TimeSpan maxDelay) =>
        pacers.GetOrAdd(name, _ => new RetryPacer(name, write, clock, firstDelay, maxDelay));

    public IReadOnlyList<RetryPacer> All => [.. pacers.Values.OrderBy(p => p.Name, StringComparer.Ordinal)];
}
