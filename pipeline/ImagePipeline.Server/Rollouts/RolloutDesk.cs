using System.Text.Json;
using ImagePipeline.Loops;
using ImagePipeline.Server.Promotion;
using ImagePipeline.Server.Telemetry;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Server.Rollouts;

/// <summary>
/// Starting and steering rollouts: only signed (approved) images, an emergency approval only while
/// it lasts; a selector that finds machines, none of them in another active rollout; the plan's
/// waves made by the planner. Pause, resume, abort and rollback are operators' decisions, audited.
/// A rollback re-targets the machines the rollout changed to the recipe's previous production
/// image, as a rollout of its own.
/// </summary>
public sealed class RolloutDesk(IDbContextFactory<PipelineDb> databases, Channels channels, TimeProvider clock,
    [FromKeyedServices(ServerLoops.RolloutController)] LoopWakeup controller)
{
    public async Task<Rollout> CreateAsync(string imageId, RolloutSelector selector, RolloutPlan? plan, bool emergency, string actor, CancellationToken cancellationToken,
        long? rollbackOf = null, IReadOnlyCollection<string>? onlyMachines = null)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var image = await db.Images.SingleOrDefaultAsync(i => i.ImageId == imageId, cancellationToken)
            ?? throw new RequestRefusedException(404, $"no image version {imageId} (GET /api/v1/images lists them)");
        if (image.Signature is null)
            throw new RequestRefusedException(409, $"image {AuditEntries.ShortId(imageId)} is a {image.Channel}, not approved: promote it (POST /api/v1/images/{AuditEntries.ShortId(imageId)}.../promotions) so that it is signed");
        var approval = await db.Promotions.Where(p => p.ImageId == imageId && p.State == PromotionState.Approved).OrderByDescending(p => p.DecidedAt).FirstOrDefaultAsync(cancellationToken);
        if (approval is { Emergency: true, ExpiresAt: { } expires } && expires <= now && rollbackOf is null)
            throw new RequestRefusedException(409, $"image {AuditEntries.ShortId(imageId)}'s emergency approval expired at {expires:yyyy-MM-dd HH:mm} UTC: ask for a new approval");
        if (selector.IsEmpty)
            throw new RequestRefusedException(400, "selector: name machines, or labels, a site or a rack that select them");
        var machines = (await db.Machines.ToListAsync(cancellationToken)).Where(selector.Matches).Where(m => onlyMachines is null || onlyMachines.Contains(m.Name)).ToList();
        if (machines.Count == 0)
            throw new RequestRefusedException(400, $"selector ({selector}) selects no machine; GET /api/v1/machines lists them");
        var active = await db.Rollouts.Where(r => r.State == RolloutState.Running || r.State == RolloutState.Paused).Select(r => r.Id).ToListAsync(cancellationToken);
        var names = machines.Select(m => m.Name).ToList();
        if (await db.Set<RolloutTarget>().FirstOrDefaultAsync(t => active.Contains(t.RolloutId) && names.Contains(t.Machine), cancellationToken) is { } clash)
            throw new RequestRefusedException(409, $"machine {clash.Machine} is in rollout {clash.RolloutId}, which is still active: let it complete, or abort or roll it back first");

        var effective = plan ?? (emergency ? RolloutPlan.Emergency : new RolloutPlan());
        if (effective.Mode == BootService.Contract.DeployModes.InPlace && image.HealthProbes is not null)
            throw new RequestRefusedException(400, $"mode in-place: image {AuditEntries.ShortId(imageId)} ({image.RecipeName}) was imported and has no agent of ours to write its next image in place; roll it out with mode reimage");
        RolloutSchedule schedule;
        try
        {
            schedule = WavePlanner.Plan([.. machines.Select(m => new RolloutMachine(m.Name, m.Variant, m.AllLabels()))], effective);
        }
        catch (ArgumentException e)
        {
            throw new RequestRefusedException(400, e.Message);
        }

        var rollout = new Rollout
        {
            ImageId = imageId, RecipeName = image.RecipeName, Selector = JsonSerializer.Serialize(selector, RolloutDriver.PlanJson),
            Plan = JsonSerializer.Serialize(effective, RolloutDriver.PlanJson), State = RolloutState.Running, Waves = schedule.Waves.Count, Emergency = emergency,
            RollbackOf = rollbackOf, CreatedBy = actor, CreatedAt = now, UpdatedAt = now,
            Reason = schedule.Notes.Count == 0 ? "starting the canary" : $"starting the canary; the planner: {string.Join("; ", schedule.Notes)}",
        };
        // In the trace of the run that made the image: its waves and machines are traced under this span.
        using var span = PipelineTracing.Start("rollout.start", await PipelineTracing.ImageTraceAsync(db, imageId, cancellationToken));
        rollout.TraceParent = span?.Id;
        var macs = machines.ToDictionary(m => m.Name, m => m.Mac, StringComparer.Ordinal);
        foreach (var wave in schedule.Waves)
            rollout.Targets.AddRange(wave.Machines.Select(m => new RolloutTarget { Machine = m.Id, Mac = macs[m.Id], Wave = wave.Number, State = TargetState.Pending }));
        db.Rollouts.Add(rollout);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit.Add(Entry(rollout, actor, rollbackOf is null ? "rollout-started" : "rollback-started",
            $"{image.RecipeName} {AuditEntries.ShortId(imageId)} ({image.Channel}) to {machines.Count} machine(s) ({selector}), plan {effective.Describe()}: {string.Join(" + ", schedule.Waves.Select(w => w.Machines.Count))}", now));
        await db.SaveChangesAsync(cancellationToken);
        span?.SetTag("imagepipeline.rollout", rollout.Id);
        span?.SetTag("imagepipeline.image", imageId);
        span?.SetTag("imagepipeline.machines", machines.Count);
        span?.SetTag("imagepipeline.plan", effective.Describe());
        // Its canary starts now, not at the controller's next round.
        controller.Wake();
        return rollout;
    }

    public Task<Rollout> PauseAsync(long id, string actor, CancellationToken cancellationToken) =>
        ChangeAsync(id, actor, "rollout-paused", [RolloutState.Running], r => (RolloutState.Paused, $"paused by {actor} during {RolloutDriver.WaveName(r.Wave)}"), cancellationToken);

    public Task<Rollout> ResumeAsync(long id, string actor, CancellationToken cancellationToken) =>
        ChangeAsync(id, actor, "rollout-resumed", [RolloutState.Paused], r => (RolloutState.Running, $"resumed by {actor}"), cancellationToken);

    public Task<Rollout> AbortAsync(long id, string actor, CancellationToken cancellationToken) =>
        ChangeAsync(id, actor, "rollout-aborted", [RolloutState.Running, RolloutState.Paused],
            r => (RolloutState.Aborted, $"aborted by {actor} during {RolloutDriver.WaveName(r.Wave)}; machines keep what they run"), cancellationToken);

    /// <summary>The recipe's previous production image, onto the machines this rollout changed, as a new rollout; this one ends rolled-back.</summary>
    public async Task<Rollout> RollbackAsync(long id, string actor, CancellationToken cancellationToken)
    {
        Rollout original;
        string target;
        List<string> touched;
        await using (var db = await databases.CreateDbContextAsync(cancellationToken))
        {
            original = await db.Rollouts.Include(r => r.Targets).SingleOrDefaultAsync(r => r.Id == id, cancellationToken)
                ?? throw new RequestRefusedException(404, $"no rollout {id}");
            if (original.State == RolloutState.RolledBack)
                throw new RequestRefusedException(409, $"rollout {id} is rolled back already");
            var previous = await db.Images.Where(i => i.RecipeName == original.RecipeName && i.Channel == channels.Production && i.ImageId != original.ImageId && i.Signature != null)
                .OrderByDescending(i => i.PromotedAt).FirstOrDefaultAsync(cancellationToken);
            target = previous?.ImageId ?? original.Targets.Select(t => t.PreviousImage).FirstOrDefault(p => p is not null && p != original.ImageId)
                ?? throw new RequestRefusedException(409, $"no previous {channels.Production} image of {original.RecipeName} to roll back to");
            touched = [.. original.Targets.Where(t => t.State != TargetState.Pending).Select(t => t.Machine)];
            var now = clock.GetUtcNow().UtcDateTime;
            original.State = RolloutState.RolledBack;
            original.UpdatedAt = now;
            original.Reason = $"rolled back by {actor} to {AuditEntries.ShortId(target)}{(touched.Count == 0 ? ": no machine had been changed" : $" on {touched.Count} machine(s)")}";
            db.Audit.Add(Entry(original, actor, "rollout-rolled-back", original.Reason, now));
            await db.SaveChangesAsync(cancellationToken);
        }

        if (touched.Count == 0)
            return original;
        var plan = JsonSerializer.Deserialize<RolloutPlan>(original.Plan, RolloutDriver.PlanJson)! with { RollbackOnFailure = false, AutoAdvance = true };
        return await CreateAsync(target, new RolloutSelector { Machines = touched }, plan, original.Emergency, actor, cancellationToken, rollbackOf: id);
    }

    private async Task<Rollout> ChangeAsync(long id, string actor, string action, RolloutState[] from, Func<Rollout, (RolloutState State, string Reason)> change,
        CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var rollout = await db.Rollouts.Include(r => r.Targets).SingleOrDefaultAsync(r => r.Id == id, cancellationToken) ?? throw new RequestRefusedException(404, $"no rollout {id}");
        if (!from.Contains(rollout.State))
            throw new RequestRefusedException(409, $"rollout {id} is {rollout.State.ToString().ToLowerInvariant()}: {action.Replace("rollout-", "", StringComparison.Ordinal)} needs it {string.Join(" or ", from.Select(s => s.ToString().ToLowerInvariant()))}");
        var now = clock.GetUtcNow().UtcDateTime;
        (rollout.State, rollout.Reason) = change(rollout);
        rollout.UpdatedAt = now;
        db.Audit.Add(Entry(rollout, actor, action, rollout.Reason, now));
        await db.SaveChangesAsync(cancellationToken);
        controller.Wake();
        return rollout;
    }

    /// <summary>A rollout's audit entry: "rollout N: ...", EMERGENCY when it is one (the controller's entries too).</summary>
    internal static AuditEntry Entry(Rollout rollout, string actor, string action, string detail, DateTime now) =>
        AuditEntries.For(actor, action, rollout.Emergency, $"rollout {rollout.Id}: {detail}", now);
}
