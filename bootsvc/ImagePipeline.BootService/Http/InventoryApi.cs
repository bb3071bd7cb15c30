using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.BootService.Network;
using ImagePipeline.BootService.Scripts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.BootService.Http;

/// <summary>
/// Operators' view of the boot service under <c>/api/v1</c>: machines, their history and
/// progress, the fleet's events by cursor (<see cref="EventFeedApi"/>), the protocol counters; and setting a machine's desired image. All of it needs the
/// admin token (<see cref="AdminToken"/>).
/// </summary>
public static class InventoryApi
{
    /// <param name="adminToken">the token every call must carry (null: the API is closed)</param>
    /// <param name="statistics">the protocol counters now, for <c>/api/v1/bootsvc/stats</c></param>
    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder app, string? adminToken, Func<BootServiceStatistics> statistics)
    {
        var api = app.MapGroup("/api/v1").RequireAdminToken(adminToken);
        api.MapGet("/machines", (IMachineInventory inventory, CancellationToken ct) => inventory.ListAsync(ct));
        api.MapGet("/machines/{mac}", GetMachineAsync);
        api.MapGet("/machines/{mac}/events", GetEventsAsync);
        api.MapPut("/machines/{mac}/desired-image", SetDesiredImageAsync);
        api.MapGet("/bootsvc/stats", () => TypedResults.Ok(statistics()));
        api.MapEventFeed();
        return app;
    }

    private static async Task<Results<Ok<MachineDetail>, NotFound<string>, BadRequest<string>>> GetMachineAsync(string mac, IMachineInventory inventory,
        DeployProgressBoard board, CancellationToken cancellationToken)
    {
        if (!MacAddress.TryNormalize(mac, out var canonical))
            return TypedResults.BadRequest($"'{mac}' is not a MAC address");
        var machine = await inventory.GetByMacAsync(canonical, cancellationToken);
        if (machine is null)
            return TypedResults.NotFound($"no machine with MAC {canonical}");
        return TypedResults.Ok(new MachineDetail(machine, board.Get(canonical)?.Report));
    }

    private static async Task<Results<Ok<IReadOnlyList<MachineEvent>>, BadRequest<string>>> GetEventsAsync(string mac, IMachineInventory inventory, CancellationToken cancellationToken)
    {
        if (!MacAddress.TryNormalize(mac, out var canonical))
            return TypedResults.BadRequest($"'{mac}' is not a MAC address");
        return TypedResults.Ok(await inventory.EventsAsync(canonical, cancellationToken));
    }

    private static async Task<Results<Ok<MachineRecord>, NotFound<string>, BadRequest<string>>> SetDesiredImageAsync(string mac,
        DesiredImageRequest request, IMachineInventory inventory, CancellationToken cancellationToken)
    {
        if (!MacAddress.TryNormalize(mac, out var canonical))
            return TypedResults.BadRequest($"'{mac}' is not a MAC address");
        if (string.IsNullOrWhiteSpace(request.ImageId))
            return TypedResults.BadRequest("imageId is required: the image's id (the SHA-256 of its raw disk)");
        if (request.ImageId.Length != 64 || !request.ImageId.All(char.IsAsciiHexDigitLower))
            return TypedResults.BadRequest($"imageId '{IpxeScripts.Printable(request.ImageId)}' is not an image id: 64 lower-case hex digits, the SHA-256 of the raw disk");
        if (!DeployModes.IsKnown(request.Mode))
            return TypedResults.BadRequest($"mode '{IpxeScripts.Printable(request.Mode!)}' is unknown: use '{DeployModes.Reimage}' (netboot and write the disk, the default) or '{DeployModes.InPlace}' (the running system writes its other A/B slot)");
        var machine = await inventory.GetByMacAsync(canonical, cancellationToken) ?? await inventory.DiscoverAsync(canonical, cancellationToken);
        return TypedResults.Ok((await inventory.SetDesiredImageAsync(machine.Mac, request.ImageId, cancellationToken, request.Mode)));
    }
}
