using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Waiting;

namespace ImagePipeline.Server.Tests.Sources;

/// <summary>Recipe sources through real git: a remote that accepts and never answers must not hold the server's workers.</summary>
public sealed class GitMirrorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Remotes_that_accept_and_never_answer_fail_after_the_git_timeout_and_another_source_still_syncs()
    {
        // As many hung remotes as the server has workers: without a timeout they would hold all of them for ever.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new System.Collections.Concurrent.ConcurrentBag<TcpClient>();
        var accepting = Task.Run(async () =>
        {
            while (!Ct.IsCancellationRequested)
                held.Add(await silent.AcceptTcpClientAsync(Ct));
        }, Ct);
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var repository = await RecipeRepository.CreateAsync();
        await using var server = await TestServer.StartAsync(configure: o => o with { GitTimeout = TimeSpan.FromSeconds(3) });

        foreach (var name in new[] { "hung-1", "hung-2" })
            (await server.Http.PostAsJsonAsync("/api/v1/sources", new { name, url = $"git://127.0.0.1:{port}/recipes.git" }, Ct)).EnsureSuccessStatusCode();
        await Eventually.WaitAsync("the hung remotes to be asked", () => Task.FromResult(held.Count >= 2), 30);
        await server.RegisterAsync("recipes", repository.Path, secret: null);
        var hung = await server.GetJsonAsync("/api/v1/sources/hung-1");

        hung["lastCommit"].ShouldBeNull();
        (await server.GetJsonAsync("/api/v1/sources/recipes"))["lastCommit"].ShouldNotBeNull("the good source synced although two fetches hung");
        foreach (var client in held)
            client.Dispose();
        silent.Stop();
        await accepting.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
