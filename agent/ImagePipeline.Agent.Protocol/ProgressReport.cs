namespace ImagePipeline.Agent.Protocol;

/// <summary>Sent about once a second while the agent writes.</summary>
public sealed record ProgressReport(string Phase, long BytesDone, long BytesTotal, double BytesPerSecond, double? EtaSeconds);
