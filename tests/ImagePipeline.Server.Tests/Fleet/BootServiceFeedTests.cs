using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.Server.Fleet;
using ImagePipeline.Server.Rollouts;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Waiting;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Tests.Fleet;

/// <summary>
/// The server's view of the fleet, kept by following the real boot service's event feed: changes
/// arrive without a question per machine, an absent boot service makes reads fail instead of
/// answering from a stale view, a restart of the boot service is followed from the same cursor,
/// and a boot database replaced under it (the cursor lost) is followed again from a snapshot.
/// </summary>
public sealed class BootServiceFeedTests : IDisposable
{
    private const string Mac = "52:54:00:fe:00:01";
    private const string Image = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
    private readonly DirectoryInfo bootData = Directory.CreateTempSubdirectory("imagepipe-bootsvc-feed-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_feed_follows_changes_fails_reads_while_the_boot_service_is_away_resumes_after_its_restart_and_resyncs_a_replaced_database()
    {
        var port = ServerProcess.FreePort();
        var bootUrl = new Uri($"http://127.0.0.1:{port}/");
        await using var server = await TestServer.StartAsync(configure: o => o with { BootServiceUrl = bootUrl, BootServiceToken = BootServiceHost.AdminToken });
        await using var bootService = await BootServiceHost.StartAsync(port, bootData.FullName, Path.Combine(server.DataDirectory, "artifacts", "sha256"));
        var feed = server.Services.GetRequiredService<BootServiceFeeds>().All.ShouldHaveSingleItem();
        using var http = new HttpClient();
        var operatorApi = new BootServiceClient(http, bootUrl, BootServiceHost.AdminToken);
        var since = DateTimeOffset.UtcNow;

        // A machine deployed and healthy, as the boot service records it.
        await operatorApi.SetDesiredImageAsync(Mac, Image, Ct);
        var inventory = bootService.Services.GetRequiredService<IMachineInventory>();
        foreach (var state in new[] { MachineState.Deploying, MachineState.Booting, MachineState.Healthy })
            await inventory.TransitionAsync(Mac, state, $"to {state}", m => m with { CurrentImage = Image }, Ct);
        await Eventually.WaitAsync("the feed to see the machine healthy", () => SeenAsync(feed, m => m?.State == MachineState.Healthy), 30);
        var end = await feed.DeploymentEndAsync(Mac, Image, since, Ct);

        // The boot service goes away: reads fail rather than answer from what may be stale.
        await bootService.StopAsync();
        await Eventually.WaitAsync("reads to fail", async () =>
        {
            try
            {
                await feed.MachineAsync(Mac, Ct);
                return false;
            }
            catch (BootServiceUnreachableException)
            {
                return true;
            }
        }, 30);

        // Back on the same database: followed from the same cursor, no resync.
        await bootService.StartAsync();
        inventory = bootService.Services.GetRequiredService<IMachineInventory>();
        await inventory.TransitionAsync(Mac, MachineState.Failed, "its disk went away", null, Ct);
        await Eventually.WaitAsync("the failure after the restart", () => SeenAsync(feed, m => m?.State == MachineState.Failed), 60);
        var failed = await feed.DeploymentEndAsync(Mac, Image, since, Ct);
        var resyncsAfterRestart = feed.Resyncs;

        // A new, empty boot database: the cursor is ahead of its log; the feed starts again from its snapshot.
        await bootService.StopAsync();
        foreach (var file in bootData.GetFiles("bootsvc.db*"))
            file.Delete();
        await bootService.StartAsync();
        await Eventually.WaitAsync("the feed to resync", () => Task.FromResult(feed.Resyncs > resyncsAfterRestart), 60);
        await Eventually.WaitAsync("the view to be the new database's", () => SeenAsync(feed, m => m is null), 30);

        end.ShouldNotBeNull().Healthy.ShouldBeTrue();
        resyncsAfterRestart.ShouldBe(0, "a restart on the same database keeps the cursor good");
        failed.ShouldNotBeNull().Reason.ShouldBe("its disk went away");
        feed.Resyncs.ShouldBe(1);
        bootService.Requests.ShouldNotContain(r => r.StartsWith("GET /api/v1/machines", StringComparison.Ordinal), "no question per machine");
    }

    /// <summary>Whether the feed's view of the machine is as <paramref name="expected"/> says; false while the feed says the boot service is away (the server starts before it here).</summary>
    private static async Task<bool> SeenAsync(BootServiceFeed feed, Func<MachineRecord?, bool> expected)
    {
        try
        {
            return expected(await feed.MachineAsync(Mac, Ct));
        }
        catch (BootServiceUnreachableException)
        {
            return false;
        }
    }

    public void Dispose() => bootData.Delete(recursive: true);
}
