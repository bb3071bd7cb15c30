using System.Security.Claims;
using System.Text.Json;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Rollouts;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>
/// POST /api/v1/rollouts: an image, a selector, and a plan — <c>steps</c> "1+2+3" (canary, then
/// waves by count or percentage) and the gate's settings; omitted fields take the defaults (the
/// emergency plan for an emergency).
/// </summary>
public sealed record RolloutRequest(string? ImageId, RolloutSelector? Selector, PlanRequest? Plan, bool Emergency = false)
{
    /// <summary>The rollout, started by the desk; or a <see cref="RequestRefusedException"/> that says what to fix. The API and the web UI both start rollouts here.</summary>
    public async Task<Rollout> StartAsync(RolloutDesk desk, string actor, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(ImageId))
            throw new RequestRefusedException(400, "imageId is required: an approved image version's id");
        RolloutPlan? plan;
        try
        {
            plan = Plan?.ToPlan(Emergency ? RolloutPlan.Emergency : new RolloutPlan());
        }
        catch (FormatException e)
        {
            throw new RequestRefusedException(400, e.Message);
        }

        return await desk.CreateAsync(ImageId, Selector ?? new RolloutSelector(), plan, Emergency, actor, cancellationToken);
    }
}

public sealed record PlanRequest(string? Steps, int? BakeSeconds, int? WaveTimeoutSeconds, int? MaxFailuresPerWave, string? FailureDomain, int? MaxDomainsPerWave,
    bool? AutoAdvance, bool? RollbackOnFailure, string? Mode = null)
{
    public RolloutPlan ToPlan(RolloutPlan defaults)
    {
        if (Mode is not (null or BootService.Contract.DeployModes.Reimage or BootService.Contract.DeployModes.InPlace))
            throw new FormatException($"mode '{Mode}' is unknown: use '{BootService.Contract.DeployModes.Reimage}' (netboot and write the disk) or '{BootService.Contract.DeployModes.InPlace}' (machines with A/B slots update from their running system)");
        var plan = Steps is null ? defaults : RolloutPlan.FromSteps(Steps, defaults);
        return plan with
        {
            Bake = BakeSeconds is { } bake ? TimeSpan.FromSeconds(bake) : plan.Bake,
            WaveTimeout = WaveTimeoutSeconds is { } timeout ? TimeSpan.FromSeconds(timeout) : plan.WaveTimeout,
            MaxFailuresPerWave = MaxFailuresPerWave ?? plan.MaxFailuresPerWave,
            FailureDomain = FailureDomain ?? plan.FailureDomain,
            MaxDomainsPerWave = MaxDomainsPerWave ?? plan.MaxDomainsPerWave,
            AutoAdvance = AutoAdvance ?? plan.AutoAdvance,
            RollbackOnFailure = RollbackOnFailure ?? plan.RollbackOnFailure,
            Mode = Mode ?? plan.Mode,
        };
    }
}

public sealed record TargetView(string Machine, int Wave, string State, string? PreviousImage, DateTime? Since, string? Reason);

public sealed record RolloutView(long Id, string ImageId, string Recipe, string State, int Wave, int Waves, string Reason, bool Emergency, long? RollbackOf, string CreatedBy,
    DateTime CreatedAt, DateTime UpdatedAt, RolloutPlan Plan, IReadOnlyList<TargetView> Targets)
{
    public static RolloutView Of(Rollout r) => new(r.Id, r.ImageId, r.RecipeName, Lower(r.State), r.Wave, r.Waves, r.Reason, r.Emergency, r.RollbackOf, r.CreatedBy, r.CreatedAt,
        r.UpdatedAt, JsonSerializer.Deserialize<RolloutPlan>(r.Plan, RolloutDriver.PlanJson)!,
        [.. r.Targets.OrderBy(t => t.Wave).ThenBy(t => t.Machine, StringComparer.Ordinal).Select(t => new TargetView(t.Machine, t.Wave, Lower(t.State), t.PreviousImage, t.Since, t.Reason))]);

    /// <summary>How states read in the API and the web UI: lower case, rolled-back with its hyphen.</summary>
    public static string Lower<T>(T value) where T : struct, Enum => value.ToString() == nameof(RolloutState.RolledBack) ? "rolled-back" : value.ToString().ToLowerInvariant();
}

/// <summary>Rollouts: start one, watch it, and pause, resume, abort or roll it back (operators).</summary>
public static class RolloutsApi
{
    public static IEndpointRouteBuilder MapRolloutsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/rollouts").WithTags("rollouts").RequireAuthorization(Roles.Policies.Read);
        api.MapGet("/", async (IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            return (await db.Rollouts.Include(r => r.Targets).OrderByDescending(r => r.Id).Take(100).ToListAsync(ct)).Select(RolloutView.Of).ToList();
        });
        api.MapGet("/{id:long}", async Task<Results<Ok<RolloutView>, NotFound<string>>> (long id, IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var rollout = await db.Rollouts.Include(r => r.Targets).SingleOrDefaultAsync(r => r.Id == id, ct);
            return rollout is null ? TypedResults.NotFound($"no rollout {id}") : TypedResults.Ok(RolloutView.Of(rollout));
        });
        api.MapPost("/", (RolloutRequest request, ClaimsPrincipal user, RolloutDesk desk, CancellationToken ct) => Refusals.AnswerAsync(async () =>
        {
            var rollout = await request.StartAsync(desk, user.Identity!.Name!, ct);
            return Results.Created($"/api/v1/rollouts/{rollout.Id}", RolloutView.Of(rollout));
        })).RequireAuthorization(Roles.Policies.Operate);
        api.MapPost("/{id:long}/pause", (long id, ClaimsPrincipal user, RolloutDesk desk, CancellationToken ct) =>
            Refusals.AnswerAsync(async () => Results.Ok(RolloutView.Of(await desk.PauseAsync(id, user.Identity!.Name!, ct))))).RequireAuthorization(Roles.Policies.Operate);
        api.MapPost("/{id:long}/resume", (long id, ClaimsPrincipal user, RolloutDesk desk, CancellationToken ct) =>
            Refusals.AnswerAsync(async () => Results.Ok(RolloutView.Of(await desk.ResumeAsync(id, user.Identity!.Name!, ct))))).RequireAuthorization(Roles.Policies.Operate);
        api.MapPost("/{id:long}/abort", (long id, ClaimsPrincipal user, RolloutDesk desk, CancellationToken ct) =>
            Refusals.AnswerAsync(async () => Results.Ok(RolloutView.Of(await desk.AbortAsync(id, user.Identity!.Name!, ct))))).RequireAuthorization(Roles.Policies.Operate);
        api.MapPost("/{id:long}/rollback", (long id, ClaimsPrincipal user, RolloutDesk desk, CancellationToken ct) =>
            Refusals.AnswerAsync(async () => Results.Ok(RolloutView.Of(await desk.RollbackAsync(id, user.Identity!.Name!, ct))))).RequireAuthorization(Roles.Policies.Operate);
        return app;
    }
}
