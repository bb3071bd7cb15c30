namespace ImagePipeline.Server.State;

/// <summary>A git repository (local path or URL) holding one or more recipes.</summary>
public sealed class RecipeSource
{
    public long Id { get; set; }
    /// <summary>Unique, [a-z0-9-]: how operators and the API name it.</summary>
    public required string Name { get; set; }
    /// <summary>What git clones: a local path or a URL.</summary>
    public required string Url { get; set; }
    public required string Branch { get; set; }
    /// <summary>The secret push webhooks are signed with (HMAC-SHA256); null refuses every webhook for this source.</summary>
    public string? WebhookSecret { get; set; }
    /// <summary>Seconds between polls of the branch; 0 polls never (webhooks only).</summary>
    public int PollSeconds { get; set; }
    /// <summary>The branch's commit the recipes were last looked at.</summary>
    public string? LastCommit { get; set; }
    public DateTime CreatedAt { get; set; }
    public List<RecipeEntry> Recipes { get; set; } = [];
}
