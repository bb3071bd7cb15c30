using ImagePipeline.Server.State;

namespace ImagePipeline.Server.Rollouts;

/// <summary>
/// Which machines a rollout takes: named machines, or every machine whose labels match (site and
/// rack are labels too). All given conditions must hold; an empty selector is refused.
/// </summary>
public sealed record RolloutSelector
{
    public IReadOnlyList<string>? Machines { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public string? Site { get; init; }
    public string? Rack { get; init; }

    public bool IsEmpty => (Machines is null || Machines.Count == 0) && (Labels is null || Labels.Count == 0) && Site is null && Rack is null;

    public bool Matches(Machine machine)
    {
        var labels = machine.AllLabels();
        return (Machines is null || Machines.Count == 0 || Machines.Contains(machine.Name))
            && (Site is null || machine.Site == Site)
            && (Rack is null || machine.Rack == Rack)
            && (Labels is null || Labels.All(l => labels.TryGetValue(l.Key, out var value) && value == l.Value));
    }

    public override string ToString() => string.Join(", ", new[]
    {
        Machines is { Count: > 0 } ? $"machines {string.Join(' ', Machines)}" : null,
        Site is null ? null : $"site {Site}",
        Rack is null ? null : $"rack {Rack}",
        Labels is { Count: > 0 } ? string.Join(' ', Labels.Select(l => $"{l.Key}={l.Value}")) : null,
    }.Where(p => p is not null));
}
