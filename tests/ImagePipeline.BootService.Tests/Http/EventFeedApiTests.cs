using System.Diagnostics;
using System.Net;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.BootService.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.BootService.Tests.Http;

/// <summary>
/// The fleet's events by cursor through the typed client on real Kestrel: a follower sees every
/// event once, in order, whoever writes them and whichever side restarts; one the log no longer
/// reaches is told to resync, and the snapshot starts it again.
/// </summary>
public sealed class EventFeedApiTests
{
    private const string ImageA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string ImageB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BootServiceClient ClientOf(InProcessBootService service) =>
        new(service.Client, service.Client.BaseAddress!, InProcessBootService.AdminToken);

    private static string Mac(int machine) => $"52:54:00:ee:{machine / 256:x2}:{machine % 256:x2}";

    /// <summary>Follows the feed from <paramref name="cursor"/> in small pages until it reaches <paramref name="until"/>.</summary>
    private static async Task<List<MachineEvent>> FollowAsync(BootServiceClient client, long cursor, long until, int limit = 7)
    {
        var seen = new List<MachineEvent>();
        while (cursor < until)
        {
            var page = await client.EventsAfterAsync(cursor, limit, TimeSpan.FromSeconds(5), Ct);
            seen.AddRange(page.Events);
            cursor = page.Cursor;
        }

        return seen;
    }

    [Fact]
    public async Task A_follower_reads_what_concurrent_writers_wrote_each_event_once_in_order_without_a_gap()
    {
        await using var service = await InProcessBootService.StartAsync();
        var client = ClientOf(service);
        var start = (await client.SnapshotAsync(Ct)).Cursor;

        // Eight writers at once, each setting desired images on machines of its own and some shared; a follower reads meanwhile.
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
                await client.SetDesiredImageAsync(Mac(i % 2 == 0 ? w : 100 + i % 5), i % 3 == 0 ? ImageA : ImageB, Ct);
        }, Ct)).ToList();
        var followed = new List<MachineEvent>();
        var cursor = start;
        var machinesOfPages = true;
        while (!writers.All(w => w.IsCompleted))
        {
            var page = await client.EventsAfterAsync(cursor, 7, TimeSpan.FromSeconds(1), Ct);
            followed.AddRange(page.Events);
            machinesOfPages &= page.Events.Select(e => e.Mac).Distinct().Order().SequenceEqual(page.Machines.Select(m => m.Mac).Order());
            cursor = page.Cursor;
        }

        await Task.WhenAll(writers);
        var head = (await client.SnapshotAsync(Ct)).Cursor;
        followed.AddRange(await FollowAsync(client, cursor, head));

        var machines = await client.ListAsync(Ct);
        var written = 0;
        foreach (var machine in machines)
            written += (await client.EventsAsync(machine.Mac, Ct)).Count;
        written.ShouldBe(8 * 25 + machines.Count, "every desired image set, and each machine's discovery");
        followed.Count.ShouldBe(written);
        followed.Select(e => e.Id).ShouldBe(Enumerable.Range(1, written).Select(i => start + i), "ascending, no gap, no duplicate");
        followed.ShouldAllBe(e => e.Mac != null);
        machinesOfPages.ShouldBeTrue("each page carries the machines its events are about");
        followed.Count(e => e.Mac == Mac(100)).ShouldBe((await client.EventsAsync(Mac(100), Ct)).Count);
    }

    [Fact]
    public async Task A_follower_resumes_from_its_cursor_after_the_boot_service_restarts_and_after_its_own_restart()
    {
        await using var service = await InProcessBootService.StartAsync();
        var client = ClientOf(service);
        for (var i = 0; i < 5; i++)
            await client.SetDesiredImageAsync(Mac(i), ImageA, Ct);
        var before = await FollowAsync(client, 0, (await client.SnapshotAsync(Ct)).Cursor);
        var cursor = before[^1].Id;

        await service.RestartAsync();
        client = ClientOf(service);
        for (var i = 0; i < 5; i++)
            await client.SetDesiredImageAsync(Mac(i), ImageB, Ct);
        // The follower restarts too: a new client that kept only its cursor.
        var follower = ClientOf(service);
        var after = await FollowAsync(follower, cursor, (await client.SnapshotAsync(Ct)).Cursor);

        before.Count.ShouldBe(10, "five discoveries, five desired images");
        after.Select(e => e.Id).ShouldBe(Enumerable.Range(1, 5).Select(i => cursor + i), "the ids go on after the restart");
        after.ShouldAllBe(e => e.Detail.Contains(ImageB));
        (await follower.EventsAfterAsync(after[^1].Id, 10, TimeSpan.Zero, Ct)).Events.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_follower_behind_the_retained_window_or_from_another_database_is_told_to_resync_and_the_snapshot_starts_it_again()
    {
        await using var service = await InProcessBootService.StartAsync(eventRetention: 10);
        var client = ClientOf(service);
        for (var i = 0; i < 30; i++)
            await client.SetDesiredImageAsync(Mac(i % 3), i % 2 == 0 ? ImageA : ImageB, Ct);

        var behind = await Should.ThrowAsync<EventCursorLostException>(() => client.EventsAfterAsync(5, 10, TimeSpan.Zero, Ct));
        var snapshot = await client.SnapshotAsync(Ct);
        var ahead = await Should.ThrowAsync<EventCursorLostException>(() => client.EventsAfterAsync(snapshot.Cursor + 100, 10, TimeSpan.Zero, Ct));
        var kept = await client.EventsAfterAsync(snapshot.Cursor - 10, 100, TimeSpan.Zero, Ct);
        var empty = await client.EventsAfterAsync(snapshot.Cursor, 100, TimeSpan.Zero, Ct);
        await client.SetDesiredImageAsync(Mac(1), ImageA, Ct);
        var next = await client.EventsAfterAsync(snapshot.Cursor, 100, TimeSpan.Zero, Ct);

        behind.Message.ShouldContain("the events after 5 are no longer kept");
        behind.Message.ShouldContain("/api/v1/events/snapshot");
        ahead.Message.ShouldContain($"ends at {snapshot.Cursor}, before cursor {snapshot.Cursor + 100}");
        snapshot.Cursor.ShouldBe(33, "three discoveries and thirty desired images");
        snapshot.Machines.Count.ShouldBe(3);
        snapshot.Machines.Single(m => m.Mac == Mac(2)).DesiredImage.ShouldBe(ImageB, "as of the cursor: machine 2's last was the 30th, ImageB");
        kept.Events.Count.ShouldBe(10, "the newest ten are kept");
        empty.Events.ShouldBeEmpty();
        empty.Cursor.ShouldBe(snapshot.Cursor);
        next.Events.ShouldHaveSingleItem().Id.ShouldBe(snapshot.Cursor + 1);
    }

    [Fact]
    public async Task A_page_carries_the_machines_its_events_are_about_and_the_snapshot_each_machines_last_deployment_end()
    {
        await using var service = await InProcessBootService.StartAsync();
        var client = ClientOf(service);
        var inventory = service.Services.GetRequiredService<IMachineInventory>();
        await client.SetDesiredImageAsync(Mac(1), ImageA, Ct);
        await client.SetDesiredImageAsync(Mac(2), ImageA, Ct);
        foreach (var state in new[] { MachineState.Deploying, MachineState.Booting, MachineState.Healthy, MachineState.Deploying, MachineState.Booting, MachineState.Failed })
            await inventory.TransitionAsync(Mac(1), state, $"to {state}", m => m with { CurrentImage = ImageA }, Ct);
        var cursor = (await client.SnapshotAsync(Ct)).Cursor;
        await inventory.TransitionAsync(Mac(1), MachineState.Deploying, "again", null, Ct);

        var page = await client.EventsAfterAsync(cursor - 1, 10, TimeSpan.Zero, Ct);
        var snapshot = await client.SnapshotAsync(Ct);

        page.Events.Select(e => e.Detail).ShouldBe(["to Failed", "again"]);
        var machine = page.Machines.ShouldHaveSingleItem();
        (machine.Mac, machine.State, machine.CurrentImage).ShouldBe((Mac(1), MachineState.Deploying, ImageA), "as it is at the page's cursor");
        var end = snapshot.DeploymentEnds.ShouldHaveSingleItem("machine 2 never ended a deployment");
        (end.Mac, end.To, end.Detail).ShouldBe((Mac(1), MachineState.Failed, "to Failed"), "the last move into healthy or failed");
        DeploymentEnd.Of(snapshot.DeploymentEnds, ImageA, ImageA, end.At).ShouldNotBeNull().Healthy.ShouldBeFalse();
    }

    [Fact]
    public async Task A_waiting_request_answers_when_an_event_is_written_and_empty_when_none_is_in_its_time()
    {
        await using var service = await InProcessBootService.StartAsync();
        var client = ClientOf(service);
        var cursor = (await client.SnapshotAsync(Ct)).Cursor;

        var quiet = Stopwatch.StartNew();
        var none = await client.EventsAfterAsync(cursor, 10, TimeSpan.FromSeconds(1), Ct);
        quiet.Stop();
        var waiting = Stopwatch.StartNew();
        var woken = client.EventsAfterAsync(cursor, 10, TimeSpan.FromSeconds(60), Ct);
        await Task.Delay(300, Ct);
        await client.SetDesiredImageAsync(Mac(1), ImageA, Ct);
        var page = await woken;
        waiting.Stop();

        none.Events.ShouldBeEmpty();
        none.Cursor.ShouldBe(cursor);
        quiet.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9), "an empty answer waits its time");
        // Answered at the first event written (the machine's discovery; its desired image is the next transaction).
        page.Events.ShouldNotBeEmpty();
        page.Events[0].Kind.ShouldBe(MachineEventKind.Of(MachineState.Discovered));
        page.Events[0].Id.ShouldBe(cursor + 1);
        waiting.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "woken by the event, not by the end of its 60 s");
    }

    [Theory]
    [InlineData("after=-1")]
    [InlineData("limit=0")]
    [InlineData("limit=1001")]
    [InlineData("wait=61")]
    [InlineData("after=last")]
    public async Task A_cursor_limit_or_wait_out_of_range_is_refused_with_the_ranges(string query)
    {
        await using var service = await InProcessBootService.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/events?{query}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", InProcessBootService.AdminToken);

        using var response = await service.Client.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldContain("limit (1 to 1000) and wait (0 to 60 seconds)");
    }
}
