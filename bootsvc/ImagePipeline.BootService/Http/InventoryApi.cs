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
        api.MapPut("/desired-images", SetDesiredImagesAsync);
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
        if (Problem(request.ImageId, request.Mode, request.Health) is { } problem)
            return TypedResults.BadRequest(problem);
        var machine = await inventory.GetByMacAsync(canonical, cancellationToken) ?? await inventory.DiscoverAsync(canonical, cancellationToken);
        return TypedResults.Ok((await inventory.SetDesiredImageAsync(machine.Mac, request.ImageId, cancellationToken, request.Mode, request.Health)));
    }

    /// <summary>A wave's desired images in one request and one transaction; one bad entry refuses them all, naming it.</summary>
    private static async Task<Results<Ok<IReadOnlyList<MachineRecord>>, BadRequest<string>>> SetDesiredImagesAsync(DesiredImagesRequest request,
        IMachineInventory inventory, CancellationToken cancellationToken)
    {
        if (request.Machines is not { Count: > 0 and <= DesiredImagesRequest.MaxMachines } machines)
            return TypedResults.BadRequest($"machines must list 1 to {DesiredImagesRequest.MaxMachines} entries of mac, imageId and mode");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<DesiredImageEntry>(machines.Count);
        for (var i = 0; i < machines.Count; i++)
        {
            var entry = machines[i];
            if (!MacAddress.TryNormalize(entry.Mac ?? "", out var canonical))
                return TypedResults.BadRequest($"machines[{i}]: '{IpxeScripts.Printable(entry.Mac ?? "")}' is not a MAC address; nothing was set");
            if (Problem(entry.ImageId, entry.Mode, entry.Health) is { } problem)
                return TypedResults.BadRequest($"machines[{i}] ({canonical}): {problem}; nothing was set");
            if (!seen.Add(canonical))
                return TypedResults.BadRequest($"machines[{i}]: {canonical} is listed twice; nothing was set");
            entries.Add(entry with { Mac = canonical });
        }

        return TypedResults.Ok(await inventory.SetDesiredImagesAsync(entries, cancellationToken));
    }

    /// <summary>What is wrong with a desired image, its mode and its health probes, or null.</summary>
    private static string? Problem(string? imageId, string? mode, IReadOnlyList<HealthProbe>? health)
    {
        if (health?.Select(p => p.Problem()).FirstOrDefault(p => p is not null) is { } probe)
            return $"health: {IpxeScripts.Printable(probe)}";
        if (health is { Count: > 0 } && mode == DeployModes.InPlace)
            return "health probes are for images without our agent, and an in-place update needs the agent of the running system: reimage such an image";
        if (string.IsNullOrWhiteSpace(imageId))
            return "imageId is required: the image's id (the SHA-256 of its raw disk)";
        if (imageId.Length != 64 || !imageId.All(char.IsAsciiHexDigitLower))
            return $"imageId '{IpxeScripts.Printable(imageId)}' is not an image id: 64 lower-case hex digits, the SHA-256 of the raw disk";
        if (!DeployModes.IsKnown(mode))
            return $"mode '{IpxeScripts.Printable(mode!)}' is unknown: use '{DeployModes.Reimage}' (netboot and write the disk, the default) or '{DeployModes.InPlace}' (the running system writes its other A/B slot)";
        return null;
    }
}
