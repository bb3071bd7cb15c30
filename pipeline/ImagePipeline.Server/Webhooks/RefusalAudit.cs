namespace ImagePipeline.Server.Webhooks;

/// <summary>
/// How often a refused webhook (a wrong or missing signature) is written to the audit log: the
/// first refusal for a source, then at most one entry a minute that counts the refusals folded
/// into it. Anyone can post to the webhook URL; without this, each attempt added a row.
/// </summary>
public sealed class RefusalAudit(TimeProvider clock)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, (DateTimeOffset Written, int Folded)> sources = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private long total;

    /// <summary>Refusals this process has seen, written or folded (the metric).</summary>
    public long Total => Interlocked.Read(ref total);

    /// <summary>
    /// Null when this refusal is folded into the next entry; otherwise the number of refusals
    /// folded since the last entry (0 for the first), and the caller writes one.
    /// </summary>
    public int? Record(string source)
    {
        var now = clock.GetUtcNow();
        Interlocked.Increment(ref total);
        lock (gate)
        {
            if (sources.TryGetValue(source, out var last) && now - last.Written < Interval)
            {
                sources[source] = last with { Folded = last.Folded + 1 };
                return null;
            }

            // Sources are few (a refusal is for an existing source only), so the map stays small.
            sources[source] = (now, 0);
            return last.Folded;
        }
    }
}
