using System.Text.Json;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Rollouts;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages.Rollouts;

/// <summary>One rollout, its waves and machines updating live; pause, resume, abort, roll back.</summary>
public sealed class RolloutModel(RolloutDesk desk) : PipelinePage
{
    public Rollout Rollout { get; private set; } = null!;
    public RolloutPlan Plan { get; private set; } = null!;
    public IReadOnlyList<AuditEntry> Audit { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id)
    {
        await using var db = await OpenAsync();
        var ct = HttpContext.RequestAborted;
        var rollout = await db.Rollouts.Include(r => r.Targets).SingleOrDefaultAsync(r => r.Id == id, ct);
        if (rollout is null)
            return NotFound($"no rollout {id}");
        Rollout = rollout;
        Plan = JsonSerializer.Deserialize<RolloutPlan>(rollout.Plan, RolloutDriver.PlanJson)!;
        // The desk and the controller write every rollout entry as "rollout N: ...".
        var mark = $"rollout {id}:";
        Audit = await db.Audit.Where(a => a.Detail.StartsWith(mark)).OrderByDescending(a => a.Id).Take(100).ToListAsync(ct);
        return Page();
    }

    [HandlerPolicy(Roles.Policies.Operate)]
    public Task<IActionResult> OnPostPauseAsync(long id) => SteerAsync(id, "paused", desk.PauseAsync);

    [HandlerPolicy(Roles.Policies.Operate)]
    public Task<IActionResult> OnPostResumeAsync(long id) => SteerAsync(id, "resumed", desk.ResumeAsync);

    [HandlerPolicy(Roles.Policies.Operate)]
    public Task<IActionResult> OnPostAbortAsync(long id) => SteerAsync(id, "aborted", desk.AbortAsync);

    [HandlerPolicy(Roles.Policies.Operate)]
    public Task<IActionResult> OnPostRollbackAsync(long id) => UnlessRefusedAsync(async () =>
    {
        var rollback = await desk.RollbackAsync(id, Actor, HttpContext.RequestAborted);
        return Done($"rollout {id} rolled back: rollout {rollback.Id} puts the previous image back", $"/rollouts/{rollback.Id}");
    });

    private Task<IActionResult> SteerAsync(long id, string done, Func<long, string, CancellationToken, Task<Rollout>> action) => UnlessRefusedAsync(async () =>
    {
        await action(id, Actor, HttpContext.RequestAborted);
        return Done($"rollout {id} {done}");
    });
}
