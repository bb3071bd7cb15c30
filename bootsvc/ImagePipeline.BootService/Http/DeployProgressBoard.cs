using System.Collections.Concurrent;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.BootService.Http;

/// <summary>The latest progress report of each deploying machine; kept in memory (it is stale within a second anyway).</summary>
public sealed class DeployProgressBoard
{
    private readonly ConcurrentDictionary<string, (ProgressReport Report, DateTimeOffset At)> latest = new(StringComparer.Ordinal);

    public void Record(string mac, ProgressReport report, DateTimeOffset at) => latest[mac] = (report, at);

    public (ProgressReport Report, DateTimeOffset At)? Get(string mac) => latest.TryGetValue(mac, out var entry) ? entry : null;

    public void Clear(string mac) => latest.TryRemove(mac, out _);
}
