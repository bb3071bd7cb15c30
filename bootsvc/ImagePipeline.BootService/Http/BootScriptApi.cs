using ImagePipeline.BootService.Inventory;
using ImagePipeline.BootService.Network;
using ImagePipeline.BootService.Scripts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.BootService.Http;

/// <summary><c>GET /boot/{mac}.ipxe?firmware=bios|uefi</c>: the script iPXE runs, decided per machine by <see cref="BootScriptPlanner"/>. The DHCP server puts the firmware (from option 93) in the URL.</summary>
public static class BootScriptApi
{
    public static IEndpointRouteBuilder MapBootScripts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/boot/{mac}.ipxe", GetScriptAsync);
        return app;
    }

    private static async Task<Results<ContentHttpResult, BadRequest<string>>> GetScriptAsync(string mac, string? firmware, HttpContext http, BootScriptPlanner planner,
        IMachineInventory inventory, CancellationToken cancellationToken)
    {
        if (!MacAddress.TryNormalize(mac, out var canonical))
            return TypedResults.BadRequest($"'{mac}' is not a MAC address; the script URL is /boot/52:54:00:12:34:56.ipxe");
        var script = await planner.ScriptForAsync(canonical, cancellationToken);
        // The script is fetched by the machine itself: its address is the request's source.
        if (http.Connection.RemoteIpAddress is { } address)
            await inventory.RecordAddressAsync(canonical, address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, firmware is "bios" or "uefi" ? firmware : null, cancellationToken);
        return TypedResults.Text(script, "text/plain; charset=us-ascii");
    }
}
