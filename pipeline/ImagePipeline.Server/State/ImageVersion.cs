namespace ImagePipeline.Server.State;

/// <summary>An immutable image (its id is the SHA-256 of its raw disk) that passed validation, and where it stands.</summary>
public sealed class ImageVersion
{
    public required string ImageId { get; set; }
    public long RecipeId { get; set; }
    public required string RecipeName { get; set; }
    public required string InputDigest { get; set; }
    public required string Commit { get; set; }
    /// <summary>candidate until promoted.</summary>
    public required string Channel { get; set; }
    public long RunId { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>When it entered its present channel by a promotion (null: a candidate).</summary>
    public DateTime? PromotedAt { get; set; }
    /// <summary>ECDSA P-256 over the image id (the raw disk's SHA-256), base64 (IEEE P1363): made when a promotion is approved.</summary>
    public string? Signature { get; set; }
    public string? SignedBy { get; set; }
    /// <summary>
    /// For an image without our agent (imported): the probes, as JSON, its machines' boot service
    /// makes from outside to know it healthy; null when the image's agent reports its health.
    /// </summary>
    public string? HealthProbes { get; set; }
}
