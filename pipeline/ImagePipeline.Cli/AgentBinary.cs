using CliWrap;
using CliWrap.Buffered;

namespace ImagePipeline.Cli;

/// <summary>
/// The NativeAOT agent, published from this repository into <c>.cache/agent</c> beside the CLI and
/// published again only when the agent's sources are newer. A lock file keeps concurrent builds
/// from publishing over each other.
/// </summary>
public static class AgentBinary
{
    public static async Task<string> EnsurePublishedAsync(CancellationToken cancellationToken)
    {
        var agentDir = Path.Combine(RepositoryPaths.Root, "agent");
        var output = Path.Combine(RepositoryPaths.Root, ".cache", "agent");
        var binary = Path.Combine(output, "imagepipe-agent");
        Directory.CreateDirectory(output);
        await using var lockFile = await LockAsync(Path.Combine(output, ".lock"), cancellationToken);
        if (File.Exists(binary) && File.GetLastWriteTimeUtc(binary) > NewestSource(agentDir))
            return binary;
        Console.Error.WriteLine("publishing the agent (NativeAOT)...");
        var result = await CliWrap.Cli.Wrap("dotnet")
            .WithArguments(["publish", Path.Combine(agentDir, "ImagePipeline.Agent"), "-c", "Release", "-r", "linux-x64", "-o", output, "--nologo", "-v", "q"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"publishing the agent failed: {result.StandardOutput}{result.StandardError}");
        File.SetLastWriteTimeUtc(binary, DateTime.UtcNow);
        return binary;
    }

    private static DateTime NewestSource(string agentDir) => Directory.EnumerateFiles(agentDir, "*.*", SearchOption.AllDirectories)
        .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal))
            && !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
        .Select(File.GetLastWriteTimeUtc)
        .DefaultIfEmpty(DateTime.MaxValue)
        .Max();

    private static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }
}
