using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImagePipeline.Server.Webhooks;

/// <summary>What a push webhook says (GitHub, Gitea and GitLab share these fields): the branch, the new head, and the paths its commits touched.</summary>
public sealed record PushEvent(string Ref, string? After, IReadOnlyList<string> ChangedPaths)
{
    private static readonly string[] ChangeKinds = ["added", "modified", "removed"];

    public string? Branch => Ref.StartsWith("refs/heads/", StringComparison.Ordinal) ? Ref["refs/heads/".Length..] : null;

    /// <summary>The push, or null with the reason when the body is not one.</summary>
    public static (PushEvent? Push, string? Error) Parse(byte[] body)
    {
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            return (null, $"the body is not JSON: {e.Message}");
        }

        if (json?["ref"]?.GetValue<string>() is not { } reference)
            return (null, "the body has no \"ref\": is this a push event?");
        var paths = (json["commits"] as JsonArray ?? [])
            .SelectMany(c => ChangeKinds.SelectMany(k => (c?[k] as JsonArray ?? []).Select(p => p?.GetValue<string>())))
            .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        return (new PushEvent(reference, json["after"]?.GetValue<string>(), paths), null);
    }
}
