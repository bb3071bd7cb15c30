using System.Globalization;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Inventory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace ImagePipeline.BootService.Http;

/// <summary>
/// The fleet's events by cursor (<see cref="EventFeedPage"/>): <c>GET /api/v1/events?after=N&amp;limit=M&amp;wait=S</c>
/// answers the events after N at once, or with <c>wait</c> holds an empty answer up to S seconds
/// until one is written (long poll: a consumer follows the whole boot service with one request
/// open, not one per machine). <c>GET /api/v1/events/snapshot</c> starts a consumer or resyncs
/// one whose cursor the log no longer reaches (410 Gone, saying why).
/// </summary>
public static class EventFeedApi
{
    public static RouteGroupBuilder MapEventFeed(this RouteGroupBuilder api)
    {
        api.MapGet("/events", ReadAsync);
        api.MapGet("/events/snapshot", (IMachineInventory inventory, CancellationToken ct) => inventory.SnapshotAsync(ct));
        return api;
    }

    private static async Task<IResult> ReadAsync(HttpRequest request, IMachineInventory inventory, IHostApplicationLifetime lifetime, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (Parse(request, "after", 0, 0, long.MaxValue) is not { } cursor
            || Parse(request, "limit", EventFeed.MaxLimit, 1, EventFeed.MaxLimit) is not { } limit
            || Parse(request, "wait", 0, 0, EventFeed.MaxWaitSeconds) is not { } wait)
        {
            return TypedResults.Problem($"after (an event id, 0 for the first), limit (1 to {EventFeed.MaxLimit}) and wait (0 to {EventFeed.MaxWaitSeconds} seconds) must be whole numbers in range",
                statusCode: StatusCodes.Status400BadRequest);
        }

        // A waiting request ends with the host, not at its shutdown timeout.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(wait);
        while (true)
        {
            // Taken before the read: an event written between the read and the wait still wakes it.
            var next = inventory.NextEventWritten;
            EventFeedPage page;
            try
            {
                page = await inventory.EventsAfterAsync(cursor, (int)limit, cancellationToken);
            }
            catch (EventCursorLostException e)
            {
                return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status410Gone);
            }

            var left = deadline - clock.GetUtcNow();
            if (page.Events.Count > 0 || left <= TimeSpan.Zero || ending.IsCancellationRequested)
                return TypedResults.Ok(page);
            try
            {
                await next.WaitAsync(left, clock, ending.Token);
            }
            catch (Exception e) when (e is TimeoutException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Nothing written in time, or the host is stopping: one last read answers.
                deadline = clock.GetUtcNow();
            }
        }
    }

    private static long? Parse(HttpRequest request, string name, long fallback, long least, long most)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0)
            return fallback;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= least && value <= most ? value : null;
    }
}
