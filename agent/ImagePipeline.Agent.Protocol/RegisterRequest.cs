namespace ImagePipeline.Agent.Protocol;

/// <summary>The agent's first call from the netboot environment.</summary>
public sealed record RegisterRequest
{
    /// <summary>Agent version, so the boot service can refuse one too old for an assignment.</summary>
    public required string AgentVersion { get; init; }
    public required HardwareFacts Facts { get; init; }
    /// <summary>The agent of a running image asks (for an in-place update), not the deploy agent of a netboot: it gets an assignment only when the machine's desired image is to be written in place.</summary>
    public bool FromRunningSystem { get; init; }
}
