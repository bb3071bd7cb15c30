using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Seed;
using ImagePipeline.Tests.Waiting;

namespace ImagePipeline.Server.Tests;

/// <summary>
/// kill -9 of the real server mid-build and again mid-validation, each followed by a restart: the
/// run is resumed by a new job, ends a candidate once, and nothing is left half-done — no staging
/// directory in the artifact store, no QEMU of a dead server, one image version.
/// </summary>
public sealed class CrashResumeTests : IDisposable
{
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("imagepipe-crash-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_killed_mid_build_and_mid_validation_resumes_the_run_after_restarts_and_publishes_one_candidate()
    {
        using var repository = await RecipeRepository.CreateAsync();
        var log = Path.Combine(data.FullName, "server", "runs", "1.log");
        await SeededBase.IntoAsync(data.FullName, Ct);
        var first = await ServerProcess.StartAsync(data.FullName);
        using var http = await first.CreateClientAsync();
        (await http.PostAsJsonAsync("/api/v1/sources", new { name = "recipes", url = repository.Path }, Ct)).EnsureSuccessStatusCode();
        await Eventually.WaitAsync("the source's recipes", async () => (await http.GetStringAsync("/api/v1/recipes", Ct)).Contains("tiny", StringComparison.Ordinal));
        (await http.PostAsync("/api/v1/recipes/tiny/runs", null, Ct)).EnsureSuccessStatusCode();

        await Eventually.WaitAsync("the build's disk stage", () => Task.FromResult(File.Exists(log) && File.ReadAllText(log).Contains("build: disk ...", StringComparison.Ordinal)), 240);
        await first.KillAsync();
        var deadBuilder = first.Pid;
        await using var second = await ServerProcess.StartAsync(data.FullName, first.Url.Port);
        await Eventually.WaitAsync("validation to start", () => Task.FromResult(File.ReadAllText(log).Contains("validating on", StringComparison.Ordinal)), 300);
        await Eventually.WaitAsync("a VM of the validation", () => Task.FromResult(QemuProcesses.Of(second.Pid).Count > 0), 60);
        await second.KillAsync();
        var deadValidator = second.Pid;
        await using var third = await ServerProcess.StartAsync(data.FullName, first.Url.Port);
        await Eventually.WaitAsync("the run to end", async () => JsonNode.Parse(await http.GetStringAsync("/api/v1/runs/1", Ct))!["finishedAt"] is not null, 400);
        var run = JsonNode.Parse(await http.GetStringAsync("/api/v1/runs/1", Ct))!;
        var images = JsonNode.Parse(await http.GetStringAsync("/api/v1/images", Ct))!.AsArray();

        run["state"]!.GetValue<string>().ShouldBe("candidate", File.ReadAllText(log));
        run["attempts"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(3, "built twice, validated at least twice");
        File.ReadAllText(log).ShouldContain("the worker of this run stopped");
        images.ShouldHaveSingleItem()!["imageId"]!.GetValue<string>().ShouldBe(run["imageId"]!.GetValue<string>());
        Directory.EnumerateDirectories(Path.Combine(data.FullName, "artifacts", "sha256"), ".tmp-image-*").ShouldBeEmpty("no half-published image");
        QemuProcesses.Of(deadBuilder).ShouldBeEmpty();
        QemuProcesses.Of(deadValidator).ShouldBeEmpty("the killed server's VMs were reaped");
        Directory.EnumerateDirectories(Path.GetTempPath(), $"imagepipe-vm-{deadValidator}-*").ShouldBeEmpty();
    }

    public void Dispose() => data.Delete(recursive: true);
}
