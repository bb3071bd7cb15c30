namespace ImagePipeline.Server.Rollouts;

/// <summary>A machine as the planner sees it: its id, its hardware variant (what validation calls a profile), and its labels (site, rack, ...).</summary>
public sealed record RolloutMachine(string Id, string Variant, IReadOnlyDictionary<string, string> Labels)
{
    public string? Label(string key) => Labels.TryGetValue(key, out var value) ? value : null;
}
