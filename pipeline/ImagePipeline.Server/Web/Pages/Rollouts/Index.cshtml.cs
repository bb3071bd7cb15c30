using ImagePipeline.Server.Api;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Rollouts;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages.Rollouts;

/// <summary>The rollouts, and the form that starts one (the same rules as POST /api/v1/rollouts).</summary>
public sealed class RolloutsModel(RolloutDesk desk) : PipelinePage
{
    public IReadOnlyList<Rollout> Rollouts { get; private set; } = [];
    public IReadOnlyList<ImageVersion> SignedImages { get; private set; } = [];
    public IReadOnlyList<string> MachineNames { get; private set; } = [];

    public async Task OnGetAsync()
    {
        await using var db = await OpenAsync();
        var ct = HttpContext.RequestAborted;
        Rollouts = await db.Rollouts.Include(r => r.Targets).OrderByDescending(r => r.Id).Take(100).ToListAsync(ct);
        SignedImages = await db.Images.Where(i => i.Signature != null).OrderByDescending(i => i.PromotedAt).ToListAsync(ct);
        MachineNames = await db.Machines.OrderBy(m => m.Name).Select(m => m.Name).ToListAsync(ct);
    }

    [HandlerPolicy(Roles.Policies.Operate)]
    public async Task<IActionResult> OnPostAsync(string? image, string? machines, string? site, string? rack, string? labels, string? steps, int? bakeSeconds,
        int? waveTimeoutSeconds, int? maxFailuresPerWave, string? failureDomain, int? maxDomainsPerWave, bool autoAdvance, bool rollbackOnFailure, bool emergency, string? mode)
    {
        var selector = new RolloutSelector
        {
            Machines = machines?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Site = string.IsNullOrWhiteSpace(site) ? null : site.Trim(),
            Rack = string.IsNullOrWhiteSpace(rack) ? null : rack.Trim(),
            Labels = labels?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(pair => pair.Split('=', 2))
                .ToDictionary(kv => kv[0], kv => kv.Length == 2 ? kv[1] : ""),
        };
        // An emergency takes the emergency plan, in the mode asked for (in place is an emergency patch's fast path).
        var plan = emergency
            ? new PlanRequest(null, null, null, null, null, null, null, null, mode)
            : new PlanRequest(steps, bakeSeconds, waveTimeoutSeconds, maxFailuresPerWave, string.IsNullOrWhiteSpace(failureDomain) ? null : failureDomain.Trim(),
                maxDomainsPerWave, autoAdvance, rollbackOnFailure, mode);
        return await UnlessRefusedAsync(async () =>
        {
            var rollout = await new RolloutRequest(image, selector, plan, emergency).StartAsync(desk, Actor, HttpContext.RequestAborted);
            return Done($"rollout {rollout.Id} started: {rollout.Waves} waves over {rollout.Targets.Count} machines", $"/rollouts/{rollout.Id}");
        });
    }
}
