using ImagePipeline.Server.State;

namespace ImagePipeline.Server.Api;

/// <summary>A source as the API shows it (never its webhook secret).</summary>
public sealed record SourceView(long Id, string Name, string Url, string Branch, int PollSeconds, bool WebhookConfigured, string? LastCommit, IReadOnlyList<string> Recipes)
{
    public static SourceView Of(RecipeSource s) => new(s.Id, s.Name, s.Url, s.Branch, s.PollSeconds, s.WebhookSecret is not null, s.LastCommit, [.. s.Recipes.Select(r => r.Name)]);
}

/// <summary>A recipe as the API shows it.</summary>
public sealed record RecipeView(long Id, string Name, string Source, string Path, string? NightlyCron)
{
    public static RecipeView Of(RecipeEntry r) => new(r.Id, r.Name, r.Source?.Name ?? "", r.Path, r.NightlyCron);
}

/// <summary>A pipeline run as the API shows it.</summary>
public sealed record RunView(long Id, string Recipe, string Trigger, string Commit, string State, string? ImageId, string? InputDigest, string Queue, string? Error,
    int Attempts, string? Worker, DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt, bool Emergency, string? UpdatePackages, string? Reason)
{
    public static RunView Of(PipelineRun r) => new(r.Id, r.Recipe?.Name ?? "", r.Trigger, r.Commit, r.State.ToString().ToLowerInvariant(), r.ImageId, r.InputDigest, r.Queue,
        r.Error, r.Attempts, r.Worker, r.CreatedAt, r.StartedAt, r.FinishedAt, r.Emergency, r.UpdatePackages, r.Reason);
}
