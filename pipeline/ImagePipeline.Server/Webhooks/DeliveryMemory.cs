using System.Security.Cryptography;

namespace ImagePipeline.Server.Webhooks;

/// <summary>
/// The push bodies this server accepted lately, per source, so a delivery sent again is answered
/// without a sync job. The forge's delivery id header is not signed (anyone can change it), so
/// the key is the signed body itself. Bounded: the oldest are forgotten first; what it forgets,
/// the sync job still refuses (a commit not newer than the last one seen does not build).
/// </summary>
public sealed class DeliveryMemory(TimeProvider clock)
{
    /// <summary>Bodies remembered at most, over all sources.</summary>
    public const int Capacity = 4096;

    /// <summary>How long a body is remembered.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromDays(1);

    private readonly Dictionary<string, DateTimeOffset> seen = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, DateTimeOffset At)> order = new();
    private readonly Lock gate = new();

    /// <summary>True the first time this source gets this body within <see cref="Window"/>; false for a repeat.</summary>
    public bool IsFirst(string source, byte[] body)
    {
        var key = source + "\n" + Convert.ToHexStringLower(SHA256.HashData(body));
        var now = clock.GetUtcNow();
        lock (gate)
        {
            while (order.Count > 0 && (order.Count >= Capacity || now - order.Peek().At > Window))
            {
                var (oldKey, at) = order.Dequeue();
                if (seen.TryGetValue(oldKey, out var stored) && stored == at)
                    seen.Remove(oldKey);
            }

            if (seen.TryGetValue(key, out var when) && now - when <= Window)
                return false;
            seen[key] = now;
            order.Enqueue((key, now));
            return true;
        }
    }
}
