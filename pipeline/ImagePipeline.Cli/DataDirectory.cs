namespace ImagePipeline.Cli;

/// <summary>The embedded store's location: <c>--data</c>, else <c>$IMAGEPIPE_DATA</c>, else <c>./data</c>.</summary>
public static class DataDirectory
{
    public static string Resolve(string? option) =>
        Path.GetFullPath(option ?? Environment.GetEnvironmentVariable("IMAGEPIPE_DATA") ?? "data");
}
