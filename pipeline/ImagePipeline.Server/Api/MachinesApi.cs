using System.Security.Claims;
using System.Text.RegularExpressions;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Rollouts;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>POST /api/v1/machines: a machine and its BMC (Redfish service URL, the system's path, credentials).</summary>
public sealed record MachineRequest(string? Name, string? Mac, string? Variant, string? Site, string? Rack, IReadOnlyDictionary<string, string>? Labels,
    string? BmcUrl, string? BmcSystem, string? BmcUser, string? BmcPassword);

/// <summary>A machine as the API shows it (never its BMC password), with what the boot service says of it now.</summary>
public sealed record MachineView(string Name, string Mac, string Variant, string? Site, string? Rack, IReadOnlyDictionary<string, string> Labels, string BmcUrl, string BmcSystem,
    string? State, string? CurrentImage, DateTimeOffset? UpdatedAt, string? LastError)
{
    public static MachineView Of(Machine m, MachineObservation? seen) => new(m.Name, m.Mac, m.Variant, m.Site, m.Rack, m.AllLabels(), m.BmcUrl, m.BmcSystem,
        seen?.State, seen?.CurrentImage, seen?.UpdatedAt, seen?.LastError);
}

/// <summary>The machines rollouts can take: registered by operators, live state from the boot service.</summary>
public static partial class MachinesApi
{
    public static IEndpointRouteBuilder MapMachinesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/machines").WithTags("machines").RequireAuthorization(Roles.Policies.Read);
        api.MapGet("/", async (IDbContextFactory<PipelineDb> databases, IFleetLink fleet, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var views = new List<MachineView>();
            foreach (var machine in await db.Machines.OrderBy(m => m.Name).ToListAsync(ct))
                views.Add(MachineView.Of(machine, await ObserveQuietlyAsync(fleet, machine, ct)));
            return views;
        });
        api.MapPost("/", RegisterAsync).RequireAuthorization(Roles.Policies.Operate);
        return app;
    }

    /// <summary>The boot service's view, or none when it cannot be asked (not configured, not answering): the registry still lists the machine.</summary>
    private static async Task<MachineObservation?> ObserveQuietlyAsync(IFleetLink fleet, Machine machine, CancellationToken ct)
    {
        try
        {
            return await fleet.ObserveAsync(machine, ct);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            return null;
        }
    }

    private static async Task<Results<Created<MachineView>, BadRequest<string>, Conflict<string>>> RegisterAsync(MachineRequest request, ClaimsPrincipal user,
        IDbContextFactory<PipelineDb> databases, TimeProvider clock, CancellationToken ct)
    {
        if (request.Name is null || !MachineName().IsMatch(request.Name))
            return TypedResults.BadRequest("name is required: 1-63 of a-z, 0-9 and '-', starting with a letter or digit");
        if (request.Mac is null || !MacAddress().IsMatch(request.Mac))
            return TypedResults.BadRequest("mac is required: the boot NIC's address, 52:54:00:12:34:56");
        if (string.IsNullOrWhiteSpace(request.Variant))
            return TypedResults.BadRequest("variant is required: the hardware variant (the validation profile it matches, e.g. uefi-nvme)");
        if (request.BmcUrl is null || !Uri.TryCreate(request.BmcUrl, UriKind.Absolute, out var bmc) || bmc.Scheme is not ("http" or "https"))
            return TypedResults.BadRequest("bmcUrl is required: the BMC's Redfish service, https://10.0.0.5");
        if (request.BmcSystem is null || !request.BmcSystem.StartsWith("/redfish/v1/Systems/", StringComparison.Ordinal))
            return TypedResults.BadRequest("bmcSystem is required: the machine's ComputerSystem, /redfish/v1/Systems/1");
        if (request.Labels?.Keys.FirstOrDefault(k => k is "site" or "rack" || k.Contains(',', StringComparison.Ordinal) || k.Contains('=', StringComparison.Ordinal)) is { } bad)
            return TypedResults.BadRequest($"labels: '{bad}' cannot be a label key (site and rack have fields of their own; no ',' or '=')");
        var mac = request.Mac.ToLowerInvariant().Replace('-', ':');
        await using var db = await databases.CreateDbContextAsync(ct);
        if (await db.Machines.AnyAsync(m => m.Name == request.Name || m.Mac == mac, ct))
            return TypedResults.Conflict($"a machine named {request.Name} or with MAC {mac} is registered already");
        var machine = new Machine
        {
            Name = request.Name, Mac = mac, Variant = request.Variant.Trim(), Site = request.Site, Rack = request.Rack,
            Labels = string.Join(',', (request.Labels ?? new Dictionary<string, string>()).Select(l => $"{l.Key}={l.Value}")),
            BmcUrl = request.BmcUrl, BmcSystem = request.BmcSystem, BmcUser = request.BmcUser, BmcPassword = request.BmcPassword, CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Machines.Add(machine);
        db.Audit.Add(new AuditEntry { At = machine.CreatedAt, Actor = user.Identity!.Name!, Action = "machine-registered", Detail = $"{machine.Name} {machine.Mac} {machine.Variant} site {machine.Site} rack {machine.Rack}" });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/machines/{machine.Name}", MachineView.Of(machine, null));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex MachineName();

    [GeneratedRegex("^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")]
    private static partial Regex MacAddress();
}
