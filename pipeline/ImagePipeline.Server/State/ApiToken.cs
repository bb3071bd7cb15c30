namespace ImagePipeline.Server.State;

/// <summary>A bearer token for scripts and the CLI, acting as its account. Only its SHA-256 is stored; the token itself is shown once.</summary>
public sealed class ApiToken
{
    public long Id { get; set; }
    public long AccountId { get; set; }
    public Account? Account { get; set; }
    public required string Name { get; set; }
    /// <summary>Lower-case hex SHA-256 of the token (tokens are 256 random bits: a fast hash is enough).</summary>
    public required string Hash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
}
