using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.Validation.Lab.Redfish;

/// <summary>
/// A DMTF Redfish service in front of the lab's machines, so that whatever drives bare metal
/// through BMCs drives lab VMs the same way: the service root, the Systems collection, each
/// ComputerSystem (power state, boot override, its NIC's MAC under EthernetInterfaces), PATCH of
/// Boot (BootSourceOverrideTarget Pxe/Hdd/None, BootSourceOverrideEnabled Once/Continuous/
/// Disabled) and the ComputerSystem.Reset action. Everything but the service root needs HTTP
/// Basic credentials (DSP0266 §13.2).
/// </summary>
public static class RedfishFacade
{
    public const string Root = "/redfish/v1";
    private static readonly string[] Targets = [nameof(BootSource.None), nameof(BootSource.Pxe), nameof(BootSource.Hdd)];
    private static readonly string[] Modes = [nameof(BootOverrideMode.Disabled), nameof(BootOverrideMode.Once), nameof(BootOverrideMode.Continuous)];
    private static readonly string[] Resets = Enum.GetNames<ResetType>();

    public static IEndpointRouteBuilder MapRedfish(this IEndpointRouteBuilder app, IReadOnlyList<LabMachine> machines, RedfishCredentials credentials)
    {
        app.MapGet("/redfish", () => Results.Json(new JsonObject { ["v1"] = Root + "/" }));
        // Routing ignores a trailing slash: this answers /redfish/v1 and /redfish/v1/ alike.
        app.MapGet(Root, ServiceRoot);
        var api = app.MapGroup(Root).AddEndpointFilter(async (context, next) =>
            Authorized(context.HttpContext, credentials) ? await next(context) : Unauthorized(context.HttpContext));
        api.MapGet("/Systems", () => Results.Json(new JsonObject
        {
            ["@odata.id"] = $"{Root}/Systems",
            ["@odata.type"] = "#ComputerSystemCollection.ComputerSystemCollection",
            ["Name"] = "Computer System Collection",
            ["Members@odata.count"] = machines.Count,
            ["Members"] = new JsonArray([.. machines.Select(m => (JsonNode)new JsonObject { ["@odata.id"] = SystemPath(m) })]),
        }));
        api.MapGet("/Systems/{id}", (string id, HttpContext http) => Find(machines, id) is { } m ? Results.Json(System(m)) : RedfishErrors.NotFound(http.Request.Path));
        api.MapPatch("/Systems/{id}", PatchAsync(machines));
        api.MapPost("/Systems/{id}/Actions/ComputerSystem.Reset", ResetAsync(machines));
        api.MapGet("/Systems/{id}/EthernetInterfaces", (string id, HttpContext http) => Find(machines, id) is { } m
            ? Results.Json(new JsonObject
            {
                ["@odata.id"] = $"{SystemPath(m)}/EthernetInterfaces",
                ["@odata.type"] = "#EthernetInterfaceCollection.EthernetInterfaceCollection",
                ["Members@odata.count"] = 1,
                ["Members"] = new JsonArray(new JsonObject { ["@odata.id"] = $"{SystemPath(m)}/EthernetInterfaces/nic0" }),
            })
            : RedfishErrors.NotFound(http.Request.Path));
        api.MapGet("/Systems/{id}/EthernetInterfaces/nic0", (string id, HttpContext http) => Find(machines, id) is { } m
            ? Results.Json(new JsonObject
            {
                ["@odata.id"] = $"{SystemPath(m)}/EthernetInterfaces/nic0",
                ["@odata.type"] = "#EthernetInterface.v1_6_0.EthernetInterface",
                ["Id"] = "nic0",
                ["Name"] = $"{m.Hardware.Nic} NIC",
                ["MACAddress"] = m.Mac,
                ["PermanentMACAddress"] = m.Mac,
                ["LinkStatus"] = "LinkUp",
            })
            : RedfishErrors.NotFound(http.Request.Path));
        return app;
    }

    private static IResult ServiceRoot() => Results.Json(new JsonObject
    {
        ["@odata.id"] = Root + "/",
        ["@odata.type"] = "#ServiceRoot.v1_5_0.ServiceRoot",
        ["Id"] = "RootService",
        ["Name"] = "ImagePipeline lab BMC",
        ["RedfishVersion"] = "1.6.0",
        ["Systems"] = new JsonObject { ["@odata.id"] = $"{Root}/Systems" },
    });

    private static string SystemPath(LabMachine machine) => $"{Root}/Systems/{machine.Id}";

    private static LabMachine? Find(IReadOnlyList<LabMachine> machines, string id) => machines.FirstOrDefault(m => m.Id == id);

    private static JsonObject System(LabMachine m) => new()
    {
        ["@odata.id"] = SystemPath(m),
        ["@odata.type"] = "#ComputerSystem.v1_10_0.ComputerSystem",
        ["Id"] = m.Id,
        ["Name"] = m.Id,
        ["SystemType"] = "Virtual",
        ["Model"] = $"QEMU {m.Hardware.MachineType} ({m.Profile})",
        ["PowerState"] = m.PowerState.ToString(),
        ["MemorySummary"] = new JsonObject { ["TotalSystemMemoryGiB"] = Math.Round(m.Hardware.MemoryMiB / 1024.0, 2) },
        ["ProcessorSummary"] = new JsonObject { ["Count"] = m.Hardware.Cpus },
        ["Boot"] = new JsonObject
        {
            ["BootSourceOverrideEnabled"] = m.OverrideMode.ToString(),
            ["BootSourceOverrideTarget"] = m.OverrideTarget.ToString(),
            ["BootSourceOverrideTarget@Redfish.AllowableValues"] = new JsonArray([.. Targets.Select(t => (JsonNode)t)]),
            ["BootSourceOverrideMode"] = m.Hardware.Firmware == Machines.Firmware.Uefi ? "UEFI" : "Legacy",
        },
        ["EthernetInterfaces"] = new JsonObject { ["@odata.id"] = $"{SystemPath(m)}/EthernetInterfaces" },
        ["Actions"] = new JsonObject
        {
            ["#ComputerSystem.Reset"] = new JsonObject
            {
                ["target"] = $"{SystemPath(m)}/Actions/ComputerSystem.Reset",
                ["ResetType@Redfish.AllowableValues"] = new JsonArray([.. Resets.Select(r => (JsonNode)r)]),
            },
        },
    };

    private static Func<string, HttpContext, CancellationToken, Task<IResult>> PatchAsync(IReadOnlyList<LabMachine> machines) => async (id, http, ct) =>
    {
        if (Find(machines, id) is not { } machine)
            return RedfishErrors.NotFound(http.Request.Path);
        if (await ReadBodyAsync(http, ct) is not { } body)
            return RedfishErrors.Malformed("expected a JSON object");
        if (body["Boot"] is not JsonObject boot)
            return RedfishErrors.Respond(400, "PropertyUnknown", "Only the Boot property of a ComputerSystem can be changed here: send {\"Boot\": {\"BootSourceOverrideTarget\": \"Pxe\", \"BootSourceOverrideEnabled\": \"Once\"}}.");
        var targetText = boot["BootSourceOverrideTarget"]?.GetValue<string>() ?? machine.OverrideTarget.ToString();
        var modeText = boot["BootSourceOverrideEnabled"]?.GetValue<string>() ?? (machine.OverrideMode == BootOverrideMode.Disabled ? "Once" : machine.OverrideMode.ToString());
        if (!Enum.TryParse<BootSource>(targetText, out var target) || !Targets.Contains(targetText))
            return RedfishErrors.BadValue("BootSourceOverrideTarget", targetText, Targets);
        if (!Enum.TryParse<BootOverrideMode>(modeText, out var mode) || !Modes.Contains(modeText))
            return RedfishErrors.BadValue("BootSourceOverrideEnabled", modeText, Modes);
        await machine.SetBootOverrideAsync(target, mode, ct);
        return Results.Json(System(machine));
    };

    private static Func<string, HttpContext, CancellationToken, Task<IResult>> ResetAsync(IReadOnlyList<LabMachine> machines) => async (id, http, ct) =>
    {
        if (Find(machines, id) is not { } machine)
            return RedfishErrors.NotFound(http.Request.Path);
        if (await ReadBodyAsync(http, ct) is not { } body)
            return RedfishErrors.Malformed("expected a JSON object");
        var text = body["ResetType"]?.GetValue<string>();
        if (text is null)
            return RedfishErrors.Respond(400, "ActionParameterMissing", $"The action ComputerSystem.Reset requires the parameter ResetType to be present in the request body; one of {string.Join(", ", Resets)}.");
        if (!Enum.TryParse<ResetType>(text, out var type) || !Resets.Contains(text))
            return RedfishErrors.BadValue("ResetType", text, Resets);
        await machine.ResetAsync(type, ct);
        return Results.NoContent();
    };

    private static async Task<JsonObject?> ReadBodyAsync(HttpContext http, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(http.Request.Body, cancellationToken: ct) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool Authorized(HttpContext http, RedfishCredentials credentials)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            return false;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            return pair == $"{credentials.UserName}:{credentials.Password}";
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static IResult Unauthorized(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"ImagePipeline lab BMC\"";
        return RedfishErrors.Respond(401, "InsufficientPrivilege", "There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation; send HTTP Basic credentials of the lab's BMC account.");
    }
}
