using CliWrap;
using CliWrap.Buffered;

namespace ImagePipeline.Agent.Tests;

/// <summary>The agent as it ships: a NativeAOT linux-x64 binary that needs no .NET runtime and only libc-level libraries.</summary>
public sealed class NativeBinaryTests : IDisposable
{
    private static readonly string[] LibcLevel = ["linux-vdso.so", "libc.so", "libm.so", "ld-linux-x86-64.so", "libdl.so", "libpthread.so", "librt.so"];
    private readonly DirectoryInfo output = Directory.CreateTempSubdirectory("imagepipe-agent-publish-");

    [Fact]
    public async Task The_published_agent_is_small_needs_only_libc_and_runs()
    {
        var publish = await Cli.Wrap("dotnet")
            .WithArguments(["publish", Path.Combine(RepositoryLayout.Root, "agent", "ImagePipeline.Agent"), "-c", "Release", "-r", "linux-x64", "-o", output.FullName, "--nologo", "-v", "q"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        publish.ExitCode.ShouldBe(0, publish.StandardOutput + publish.StandardError);
        var binary = Path.Combine(output.FullName, "imagepipe-agent");

        var ldd = await Cli.Wrap("ldd").WithArguments([binary]).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        var usage = await Cli.Wrap(binary).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        new FileInfo(binary).Length.ShouldBeLessThanOrEqualTo(15L << 20);
        var libraries = ldd.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split(' ')[0]).ToList();
        libraries.ShouldNotBeEmpty();
        libraries.ShouldAllBe(l => LibcLevel.Any(allowed => Path.GetFileName(l).StartsWith(allowed, StringComparison.Ordinal)));
        usage.ExitCode.ShouldBe(2);
        usage.StandardError.ShouldContain("usage: imagepipe-agent deploy");
    }

    public void Dispose() => output.Delete(recursive: true);
}
