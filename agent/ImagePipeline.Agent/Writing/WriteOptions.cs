namespace ImagePipeline.Agent.Writing;

/// <summary>How the writer behaves; the defaults are the production ones.</summary>
public sealed record WriteOptions
{
    /// <summary>PEM public key (ECDSA P-256) images must be signed with; null only where unsigned images are allowed.</summary>
    public string? TrustedPublicKeyPem { get; init; }
    /// <summary>Accept unsigned images (a lab before promotion signing); production keeps it off.</summary>
    public bool AllowUnsigned { get; init; }
    /// <summary>Read the whole image back after writing and compare its hash.</summary>
    public bool VerifyAfterWrite { get; init; }
    public ResumePolicy Resume { get; init; } = new();
    /// <summary>The NIC the image arrives through; when set, a lost link drops the connection at once and the download resumes when it is back.</summary>
    public Transport.ILinkMonitor? Link { get; init; }
}
