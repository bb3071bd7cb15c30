using System.Security.Claims;
using System.Text.RegularExpressions;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Rollouts;
using ImagePipeline.Server.Fleet;
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

/// <summary>POST /api/v1/machines/batch's answer: how many machines were registered.</summary>
public sealed record MachineBatchResult(int Registered)
{
    /// <summary>The most machines one batch may register.</summary>
    public const int MaxMachines = 10_000;
}

/// <summary>A machine as the API shows it (never its BMC password), with what the boot service says of it now.</summary>
public sealed record MachineView(string Name, string Mac, string Variant, string? Site, string? Rack, IReadOnlyDictionary<string, string> Labels, string BmcUrl, string BmcSystem,
    string? State, string? CurrentImage, DateTimeOffset? UpdatedAt, string? LastError)
{
    public static MachineView Of(Machine m, MachineObservation? seen) => new(m.Name, m.Mac, m.Variant, m.Site, m.Rack, m.AllLabels(), m.BmcUrl, m.BmcSystem,
        seen?.State.ToString(), seen?.CurrentImage, seen?.UpdatedAt, seen?.LastError);
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
        api.MapPost("/batch", RegisterBatchAsync).RequireAuthorization(Roles.Policies.Operate);
        api.MapPut("/{name}", ReRegisterAsync).RequireAuthorization(Roles.Policies.Operate);
        return app;
    }

    /// <summary>The boot service's view, or none when it cannot be asked (not configured, not answering): the registry still lists the machine.</summary>
    private static async Task<MachineObservation?> ObserveQuietlyAsync(IFleetLink fleet, Machine machine, CancellationToken ct)
    {
        try
        {
            return await fleet.ObserveAsync(machine, ct);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException or BootServiceUnreachableException)
        {
            return null;
        }
    }

    private static async Task<Results<Created<MachineView>, BadRequest<string>, Conflict<string>>> RegisterAsync(MachineRequest request, ClaimsPrincipal user,
        IDbContextFactory<PipelineDb> databases, BmcPasswords bmcPasswords, TimeProvider clock, CancellationToken ct)
    {
        if (Problem(request) is { } problem)
            return TypedResults.BadRequest(problem);
        var mac = MacOf(request);
        await using var db = await databases.CreateDbContextAsync(ct);
        if (await db.Machines.AnyAsync(m => m.Name == request.Name || m.Mac == mac, ct))
            return TypedResults.Conflict($"a machine named {request.Name} or with MAC {mac} is registered already (PUT /api/v1/machines/{request.Name} changes it)");
        var machine = new Machine { Name = request.Name!, Mac = mac, Variant = "", BmcUrl = "", BmcSystem = "", CreatedAt = clock.GetUtcNow().UtcDateTime };
        Apply(machine, request, bmcPasswords);
        db.Machines.Add(machine);
        db.Audit.Add(new AuditEntry { At = machine.CreatedAt, Actor = user.Identity!.Name!, Action = "machine-registered", Detail = Describe(machine) });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/machines/{machine.Name}", MachineView.Of(machine, null));
    }

    /// <summary>
    /// POST /api/v1/machines/batch: many new machines (a site's racks) in one request and one
    /// transaction, one audit entry; a bad or already registered entry refuses them all, naming it.
    /// </summary>
    private static async Task<Results<Ok<MachineBatchResult>, BadRequest<string>, Conflict<string>>> RegisterBatchAsync(IReadOnlyList<MachineRequest> requests,
        ClaimsPrincipal user, IDbContextFactory<PipelineDb> databases, BmcPasswords bmcPasswords, TimeProvider clock, CancellationToken ct)
    {
        if (requests is not { Count: > 0 and <= MachineBatchResult.MaxMachines })
            return TypedResults.BadRequest($"send a JSON array of 1 to {MachineBatchResult.MaxMachines} machines, each as POST /api/v1/machines takes it");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var macs = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < requests.Count; i++)
        {
            if (Problem(requests[i]) is { } problem)
                return TypedResults.BadRequest($"[{i}] ({requests[i].Name}): {problem}; nothing was registered");
            if (!names.Add(requests[i].Name!) || !macs.Add(MacOf(requests[i])))
                return TypedResults.BadRequest($"[{i}] ({requests[i].Name}): its name or MAC is listed twice; nothing was registered");
        }

        await using var db = await databases.CreateDbContextAsync(ct);
        var taken = await db.Machines.Where(m => names.Contains(m.Name) || macs.Contains(m.Mac)).Select(m => m.Name).FirstOrDefaultAsync(ct);
        if (taken is not null)
            return TypedResults.Conflict($"machine {taken} (or its MAC) is registered already (PUT /api/v1/machines/{taken} changes it); nothing was registered");
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var request in requests)
        {
            var machine = new Machine { Name = request.Name!, Mac = MacOf(request), Variant = "", BmcUrl = "", BmcSystem = "", CreatedAt = now };
            Apply(machine, request, bmcPasswords);
            db.Machines.Add(machine);
        }

        var sites = requests.GroupBy(r => r.Site ?? "no site").Select(g => $"{g.Count()} at {g.Key}");
        db.Audit.Add(new AuditEntry { At = now, Actor = user.Identity!.Name!, Action = "machines-registered", Detail = $"{requests.Count} machines: {string.Join(", ", sites)}" });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new MachineBatchResult(requests.Count));
    }

    /// <summary>PUT /api/v1/machines/NAME: registers it, or replaces its registration (a new BMC, rotated credentials, a move) unless a rollout is working on it.</summary>
    private static async Task<Results<Ok<MachineView>, Created<MachineView>, BadRequest<string>, Conflict<string>>> ReRegisterAsync(string name, MachineRequest request,
        ClaimsPrincipal user, IDbContextFactory<PipelineDb> databases, BmcPasswords bmcPasswords, TimeProvider clock, CancellationToken ct)
    {
        request = request with { Name = name };
        if (Problem(request) is { } problem)
            return TypedResults.BadRequest(problem);
        var mac = MacOf(request);
        await using var db = await databases.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        if (await db.Machines.AnyAsync(m => m.Name != name && m.Mac == mac, ct))
            return TypedResults.Conflict($"MAC {mac} belongs to another machine");
        var machine = await db.Machines.SingleOrDefaultAsync(m => m.Name == name, ct);
        var active = await db.Rollouts.Where(r => r.State == RolloutState.Running || r.State == RolloutState.Paused).Select(r => r.Id).ToListAsync(ct);
        if (machine is not null && await db.Set<RolloutTarget>().FirstOrDefaultAsync(t => active.Contains(t.RolloutId) && t.Machine == name, ct) is { } busy)
            return TypedResults.Conflict($"machine {name} is in rollout {busy.RolloutId}, which is still active: let it end, or abort it first");
        var created = machine is null;
        machine ??= new Machine { Name = name, Mac = mac, Variant = "", BmcUrl = "", BmcSystem = "", CreatedAt = now };
        Apply(machine, request, bmcPasswords);
        if (created)
            db.Machines.Add(machine);
        db.Audit.Add(new AuditEntry { At = now, Actor = user.Identity!.Name!, Action = created ? "machine-registered" : "machine-updated", Detail = Describe(machine) });
        await db.SaveChangesAsync(ct);
        return created ? TypedResults.Created($"/api/v1/machines/{name}", MachineView.Of(machine, null)) : TypedResults.Ok(MachineView.Of(machine, null));
    }

    private static string? Problem(MachineRequest request)
    {
        if (request.Name is null || !MachineName().IsMatch(request.Name))
            return "name is required: 1-63 of a-z, 0-9 and '-', starting with a letter or digit";
        if (request.Mac is null || !MacAddress().IsMatch(request.Mac))
            return "mac is required: the boot NIC's address, 52:54:00:12:34:56";
        if (string.IsNullOrWhiteSpace(request.Variant))
            return "variant is required: the hardware variant (the validation profile it matches, e.g. uefi-nvme)";
        if (request.BmcUrl is null || !Uri.TryCreate(request.BmcUrl, UriKind.Absolute, out var bmc) || bmc.Scheme is not ("http" or "https"))
            return "bmcUrl is required: the BMC's Redfish service, https://10.0.0.5";
        if (request.BmcSystem is null || !request.BmcSystem.StartsWith("/redfish/v1/Systems/", StringComparison.Ordinal))
            return "bmcSystem is required: the machine's ComputerSystem, /redfish/v1/Systems/1";
        if (request.Labels?.Keys.FirstOrDefault(k => k is "site" or "rack" || k.Contains(',', StringComparison.Ordinal) || k.Contains('=', StringComparison.Ordinal)) is { } bad)
            return $"labels: '{bad}' cannot be a label key (site and rack have fields of their own; no ',' or '=')";
        return null;
    }

    private static string MacOf(MachineRequest request) => request.Mac!.ToLowerInvariant().Replace('-', ':');

    private static void Apply(Machine machine, MachineRequest request, BmcPasswords bmcPasswords)
    {
        machine.Mac = MacOf(request);
        machine.Variant = request.Variant!.Trim();
        machine.Site = request.Site;
        machine.Rack = request.Rack;
        machine.Labels = string.Join(',', (request.Labels ?? new Dictionary<string, string>()).Select(l => $"{l.Key}={l.Value}"));
        machine.BmcUrl = request.BmcUrl!;
        machine.BmcSystem = request.BmcSystem!;
        machine.BmcUser = request.BmcUser;
        machine.BmcPassword = bmcPasswords.Seal(request.BmcPassword);
    }

    private static string Describe(Machine machine) => $"{machine.Name} {machine.Mac} {machine.Variant} site {machine.Site} rack {machine.Rack}";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex MachineName();

    [GeneratedRegex("^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")]
    private static partial Regex MacAddress();
}
