using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// The Redfish a rollout needs of simulated machines (no VMs behind them): GET a system (powered
/// on, its reset action), PATCH its boot override, POST ComputerSystem.Reset, which hands the
/// machine to <c>reset</c>. The lab's full service (credentials, collections, NICs) is
/// <c>RedfishFacade</c>; this one is for fleets of thousands that only power-cycle.
/// </summary>
public static class SimulatedBmcs
{
    public static string SystemPath(string name) => $"/redfish/v1/Systems/{name}";

    /// <param name="exists">whether a machine of that name is behind this service</param>
    /// <param name="reset">the machine's power cycle: it netboots from here on</param>
    public static IEndpointRouteBuilder MapSimulatedBmcs(this IEndpointRouteBuilder app, Func<string, bool> exists, Action<string> reset)
    {
        app.MapGet("/redfish/v1/Systems/{id}", (string id) => exists(id)
            ? Results.Json(new JsonObject
            {
                ["@odata.id"] = SystemPath(id), ["Id"] = id, ["PowerState"] = "On",
                ["Boot"] = new JsonObject { ["BootSourceOverrideTarget"] = "Pxe", ["BootSourceOverrideEnabled"] = "Once" },
                ["Actions"] = new JsonObject { ["#ComputerSystem.Reset"] = new JsonObject { ["target"] = $"{SystemPath(id)}/Actions/ComputerSystem.Reset" } },
            })
            : Results.NotFound());
        app.MapPatch("/redfish/v1/Systems/{id}", (string id) => exists(id) ? Results.NoContent() : Results.NotFound());
        app.MapPost("/redfish/v1/Systems/{id}/Actions/ComputerSystem.Reset", (string id) =>
        {
            if (!exists(id))
                return Results.NotFound();
            reset(id);
            return Results.NoContent();
        });
        return app;
    }
}
