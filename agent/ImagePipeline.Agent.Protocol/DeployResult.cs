namespace ImagePipeline.Agent.Protocol;

/// <summary>The end of a deployment, success or the reason it stopped.</summary>
public sealed record DeployResult
{
    public required string ImageId { get; init; }
    public required bool Succeeded { get; init; }
    /// <summary>Why the agent stopped; says what to fix.</summary>
    public string? Reason { get; init; }
    /// <summary>The device written, for example <c>/dev/nvme0n1</c>.</summary>
    public string? TargetDisk { get; init; }
    public double Seconds { get; init; }
    /// <summary>Image bytes that crossed the network (compressed): the whole stream, or the chunks a delta write fetched.</summary>
    public long? BytesFetched { get; init; }
    /// <summary>"full" (the whole image streamed) or "delta" (only the chunks the disk lacked).</summary>
    public string? Method { get; init; }
}
