using ImagePipeline.BootService.Hosting;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.BootService.Network;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.BootService.Http;

/// <summary>
/// Operators' view of the boot service under <c>/api/v1</c>: machines, their history and
/// progress, the protocol counters; and setting a machine's desired image, which needs the admin
/// token (<c>Authorization: Bearer</c>).
/// </summary>
public static class InventoryApi
{
    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/machines", (IMachineInventory inventory, CancellationToken ct) => inventory.ListAsync(ct));
        api.MapGet("/machines/{mac}", GetMachineAsync);
        api.MapGet("/machines/{mac}/events", GetEventsAsync);
        api.MapPut("/machines/{mac}/desired-image", SetDesiredImageAsync);
        api.MapGet("/bootsvc/stats", (BootNetworkService network) => TypedResults.Ok(network.Snapshot()));
        return app;
    }

    private static async Task<Results<Ok<MachineView>, NotFound<string>, BadRequest<string>>> GetMachineAsync(string mac, IMachineInventory inventory,
        DeployProgressBoard board, CancellationToken cancellationToken)
    {
        if (!MacAddress.TryNormalize(mac, out var canonical))
            return TypedResults.BadRequest($"'{mac}' is not a MAC address");
        var machine = await inventory.GetByMacAsync(canonical, cancellationToken);
        if (machine is null)
            return TypedResults.NotFound($"no machine with MAC {canonical}");
        return TypedResults.Ok(new MachineView(machine, board.Get(canonical)?.Report));
    }

    private static async Task<Results<Ok<IReadOnlyList<MachineEvent>>, BadRequest<string>>> GetEventsAsync(string mac, IMachineInventory inventory, CancellationToken cancellationToken)
    {
        if (!MacAddress.TryNormalize(mac, out var canonical))
            return TypedResults.BadRequest($"'{mac}' is not a MAC address");
        return TypedResults.Ok(await inventory.EventsAsync(canonical, cancellationToken));
    }

    private static async Task<Results<Ok<Machine>, UnauthorizedHttpResult, NotFound<string>, BadRequest<string>>> SetDesiredImageAsync(string mac,
        DesiredImageRequest request, HttpContext http, BootServiceOptions options, IMachineInventory inventory, CancellationToken cancellationToken)
    {
        if (options.AdminToken is null || http.Request.Headers.Authorization.ToString() != $"Bearer {options.AdminToken}")
            return TypedResults.Unauthorized();
        if (!MacAddress.TryNormalize(mac, out var canonical))
            return TypedResults.BadRequest($"'{mac}' is not a MAC address");
        if (string.IsNullOrWhiteSpace(request.ImageId))
            return TypedResults.BadRequest("imageId is required: the image's id (the SHA-256 of its raw disk)");
        var machine = await inventory.GetByMacAsync(canonical, cancellationToken) ?? await inventory.DiscoverAsync(canonical, cancellationToken);
        return TypedResults.Ok(await inventory.SetDesiredImageAsync(machine.Mac, request.ImageId, cancellationToken));
    }
}
