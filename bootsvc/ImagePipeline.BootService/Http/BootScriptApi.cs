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
        var requester = RemoteAddress(http);
        var script = await planner.ScriptForAsync(canonical, requester, cancellationToken);
        if (firmware is "bios" or "uefi")
            await inventory.RecordAddressAsync(canonical, null, firmware, cancellationToken);
        return TypedResults.Text(script, "text/plain; charset=us-ascii");
    }

    /// <summary>The request's source address, IPv4 as IPv4 (Kestrel may report it IPv4-mapped).</summary>
    public static System.Net.IPAddress? RemoteAddress(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } address ? address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address : null;
}
