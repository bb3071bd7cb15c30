namespace ImagePipeline.BootService.Files;

/// <summary>The outcome of a <see cref="FileJail"/> lookup: a file, nothing there, or a refusal and its reason.</summary>
public sealed record FileLookup(FileInfo? File, string? Refusal)
{
    public bool IsRefused => Refusal is not null;

    public static FileLookup Found(FileInfo file) => new(file, null);

    public static FileLookup Missing() => new(null, null);

    public static FileLookup Refused(string reason) => new(null, reason);
}
