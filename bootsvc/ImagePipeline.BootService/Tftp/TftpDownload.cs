namespace ImagePipeline.BootService.Tftp;

/// <summary>What <see cref="TftpClient"/> received.</summary>
public sealed record TftpDownload(long Bytes, IReadOnlyDictionary<string, string> AcknowledgedOptions);
