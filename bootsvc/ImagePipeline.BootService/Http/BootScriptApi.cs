using ImagePipeline.BootService.Network;
using ImagePipeline.BootService.Scripts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.BootService.Http;

/// <summary><c>GET /boot/{mac}.ipxe</c>: the script iPXE runs, decided per machine by <see cref="BootScriptPlanner"/>.</summary>
public static class BootScriptApi
{
    public static IEndpointRouteBuilder MapBootScripts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/boot/{mac}.ipxe", GetScriptAsync);
        return app;
    }

    private static async Task<Results<ContentHttpResult, BadRequest<string>>> GetScriptAsync(string mac, BootScriptPlanner planner, CancellationToken cancellationToken)
    {
        if (!MacAddress.TryNormalize(mac, out var canonical))
            return TypedResults.BadRequest($"'{mac}' is not a MAC address; the script URL is /boot/52:54:00:12:34:56.ipxe");
        var script = await planner.ScriptForAsync(canonical, cancellationToken);
        return TypedResults.Text(script, "text/plain; charset=us-ascii");
    }
}
