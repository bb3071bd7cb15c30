namespace ImagePipeline.Validation.Lab;

/// <summary>How to start the imagepipe CLI from another process: the program, and the arguments that come before the verb.</summary>
public sealed record CliLauncher(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>The CLI this process is: its apphost, or <c>dotnet imagepipe.dll</c> when run through the dotnet host (tests).</summary>
    public static CliLauncher ForAssembly(string imagepipeDll)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var apphost = Path.Combine(Path.GetDirectoryName(imagepipeDll)!, "imagepipe");
        return Path.GetFileNameWithoutExtension(host) == "imagepipe" && File.Exists(apphost)
            ? new CliLauncher(apphost, [])
            : new CliLauncher("dotnet", [imagepipeDll]);
    }
}
