namespace ImagePipeline.Agent.Protocol;

/// <summary>
/// The boot service's answer to <see cref="RegisterRequest"/>. Without an assignment the machine
/// was only discovered: the agent powers it off (or waits) until someone gives it an image.
/// </summary>
public sealed record RegisterResponse(string MachineId, Assignment? Assignment);

/// <summary>What to write to which disk.</summary>
public sealed record Assignment
{
    public required string ImageId { get; init; }
    /// <summary>Absolute URL of the image, served with Range support.</summary>
    public required string ImageUrl { get; init; }
    /// <summary>"zstd" or "raw": how the bytes at <see cref="ImageUrl"/> are encoded.</summary>
    public required string Encoding { get; init; }
    /// <summary>Size of the decoded image in bytes.</summary>
    public required long SizeBytes { get; init; }
    /// <summary>Lower-case hex SHA-256 of the decoded image.</summary>
    public required string Sha256 { get; init; }
    /// <summary>Detached signature over <see cref="Sha256"/>, base64; absent for unpromoted images.</summary>
    public string? Signature { get; init; }
    public required TargetDiskRule Target { get; init; }
    public bool GrowRoot { get; init; }
    public bool VerifyAfterWrite { get; init; }
}

/// <summary>Which disk to write: an explicit serial or device path, else the smallest non-removable disk that fits.</summary>
public sealed record TargetDiskRule(string? Serial = null, string? Path = null);
