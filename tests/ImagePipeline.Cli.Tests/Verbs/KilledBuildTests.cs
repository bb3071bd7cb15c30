using System.Diagnostics;
using CliWrap;

namespace ImagePipeline.Cli.Tests.Verbs;

/// <summary>kill -9 of `imagepipe build` in the middle of a stage, then the next build: nothing half-published, nothing left behind.</summary>
public sealed class KilledBuildTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("cli-killed-");

    public void Dispose()
    {
        CliWrap.Cli.Wrap("umount").WithArguments(["-R", "-l", dir.FullName]).WithValidation(CommandResultValidation.None).ExecuteAsync().Task.Wait();
        dir.Delete(recursive: true);
    }

    private static string Recipe => RepositoryLayout.Example("tiny");

    private static Command Build(string data) => CliWrap.Cli.Wrap("dotnet")
        .WithArguments([Path.Combine(AppContext.BaseDirectory, "imagepipe.dll"), "build", Recipe, "--data", data])
        .WithValidation(CommandResultValidation.None);

    [Fact]
    public async Task A_build_killed_during_the_disk_stage_leaves_nothing_and_the_next_build_succeeds()
    {
        var data = Path.Combine(dir.FullName, "data");
        var ct = TestContext.Current.CancellationToken;
        using var kill = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var killedPid = 0;
        var task = Build(data)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                if (line.Contains("▸ disk", StringComparison.Ordinal))
                    kill.CancelAfter(400);
            }))
            .ExecuteAsync(kill.Token);
        killedPid = task.ProcessId;
        // CliWrap's forceful cancellation kills the process (SIGKILL): no cleanup code of ours runs.
        await Should.ThrowAsync<OperationCanceledException>(async () => await task);
        Process.GetProcesses().ShouldNotContain(p => p.Id == killedPid);

        var store = Path.Combine(data, "artifacts", "sha256");
        (Directory.Exists(store) ? Directory.GetDirectories(store).Where(d => !Path.GetFileName(d).StartsWith('.')) : []).ShouldBeEmpty("a killed build publishes nothing");

        var result = await Build(data).ExecuteAsync(ct);

        result.ExitCode.ShouldBe(0);
        Directory.GetDirectories(store).Where(d => !Path.GetFileName(d).StartsWith('.')).Count().ShouldBe(1);
        foreach (var stage in Directory.GetDirectories(Path.Combine(data, "cache")))
        {
            // Stage outputs are made in STAGE/.entries/.tmp-*, each with a lease file beside it.
            var entries = Path.Combine(stage, ".entries");
            (Directory.Exists(entries) ? Directory.GetFileSystemEntries(entries, ".tmp-*") : []).ShouldBeEmpty(stage);
        }
        Directory.GetDirectories("/dev/shm", $"imagepipe-disk-{killedPid}-*").ShouldBeEmpty();
        File.ReadAllText("/proc/self/mountinfo").ShouldNotContain(data);
    }
}
