namespace ImagePipeline.Agent.Writing;

/// <summary>Decoded bytes done so far.</summary>
public sealed record WriteProgress(string Phase, long BytesDone, long BytesTotal, double BytesPerSecond, double? EtaSeconds);
