using System.Net;
using ImagePipeline.Server.Tests.Support;

namespace ImagePipeline.Server.Tests.Hosting;

/// <summary>
/// Hangfire keeps one log provider per process, set by the server started last. A server stopped
/// beside another (as tests do, one after another in one process) must not take the other's jobs
/// down with it: a fresh clone failed a webhook test with ObjectDisposedException from the stopped
/// server's logger factory when a job was created.
/// </summary>
public sealed class HangfireLoggingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_stopped_after_another_started_leaves_the_others_job_creation_and_logging_working()
    {
        using var repository = await RecipeRepository.CreateAsync();
        await using var running = await TestServer.StartAsync();
        var stopped = await TestServer.StartAsync();
        await stopped.DisposeAsync();

        Should.NotThrow(() => Hangfire.Logging.LogProvider.GetLogger("probe").Log(Hangfire.Logging.LogLevel.Info, () => "after a server stopped"));
        // Registering a source enqueues its sync: a Hangfire job created after the other server stopped.
        await running.RegisterAsync("recipes", repository.Path, secret: null);
        (await running.Http.GetAsync("/api/v1/sources/recipes", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
