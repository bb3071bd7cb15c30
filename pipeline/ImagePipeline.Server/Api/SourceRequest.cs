namespace ImagePipeline.Server.Api;

/// <summary>POST /api/v1/sources: a git repository of recipes to follow.</summary>
public sealed record SourceRequest(string? Name, string? Url, string? Branch, string? WebhookSecret, int? PollSeconds);
