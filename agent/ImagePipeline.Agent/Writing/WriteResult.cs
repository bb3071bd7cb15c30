namespace ImagePipeline.Agent.Writing;

/// <summary>A finished write.</summary>
/// <param name="BytesWritten">bytes actually written (zero chunks skipped on targets that read back zeros are not counted)</param>
/// <param name="Resumes">times the download was resumed with a Range request</param>
public sealed record WriteResult(long SizeBytes, long BytesWritten, int Resumes, TimeSpan Elapsed);
