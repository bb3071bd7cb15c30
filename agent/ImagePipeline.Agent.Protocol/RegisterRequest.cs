namespace ImagePipeline.Agent.Protocol;

/// <summary>The agent's first call from the netboot environment.</summary>
public sealed record RegisterRequest
{
    /// <summary>Agent version, so the boot service can refuse one too old for an assignment.</summary>
    public required string AgentVersion { get; init; }
    public required HardwareFacts Facts { get; init; }
}
