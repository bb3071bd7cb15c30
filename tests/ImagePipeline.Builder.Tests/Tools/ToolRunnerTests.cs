using ImagePipeline.Builder.Tools;

namespace ImagePipeline.Builder.Tests.Tools;

/// <summary>How the builder runs its tools.</summary>
public sealed class ToolRunnerTests : IDisposable
{
    private readonly string logPath = Path.Combine(Path.GetTempPath(), $"imagepipe-tool-runner-{Guid.NewGuid():N}.log");

    public void Dispose() => File.Delete(logPath);

    /// <summary>
    /// bwrap --die-with-parent (the recipe sandbox) is killed when the thread that started it ends,
    /// and thread-pool threads end when the pool shrinks: a tool must outlive the thread that asked
    /// for it. The asking thread lives a second (bwrap has set its parent-death signal by then), then ends.
    /// </summary>
    [Fact]
    public async Task A_sandboxed_command_outlives_the_thread_that_started_it()
    {
        using var log = new BuildLog(logPath);
        var runner = new ToolRunner(log);
        Task<string>? running = null;
        var asking = new Thread(() =>
        {
            running = runner.RunAsync("test", "bwrap", ["--die-with-parent", "--ro-bind", "/", "/", "--", "/bin/sh", "-c", "sleep 3; echo survived"], CancellationToken.None);
            Thread.Sleep(TimeSpan.FromSeconds(1));
        });
        asking.Start();
        asking.Join();

        (await running!).ShouldContain("survived");
    }
}
