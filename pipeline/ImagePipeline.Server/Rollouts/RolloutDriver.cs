using System.Text.Json;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Rollouts;

/// <summary>
/// One step of one running rollout: start the present wave (remember what each machine ran, set
/// the desired image, one-time netboot and power cycle through its BMC), or follow it (the boot
/// service's view of each machine since the wave started) and let the wave gate decide: next
/// wave, done, or pause (or roll back, if the plan says so) with the reason. Every decision is an
/// audit entry.
/// </summary>
public sealed class RolloutDriver(IDbContextFactory<PipelineDb> databases, IFleetLink fleet, RolloutDesk desk, TimeProvider clock)
{
    public static readonly JsonSerializerOptions PlanJson = new(JsonSerializerDefaults.Web);

    public async Task StepAsync(long rolloutId, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var rollout = await db.Rollouts.Include(r => r.Targets).SingleAsync(r => r.Id == rolloutId, cancellationToken);
        if (rollout.State != RolloutState.Running)
            return;
        var plan = JsonSerializer.Deserialize<RolloutPlan>(rollout.Plan, PlanJson)!;
        var wave = rollout.Targets.Where(t => t.Wave == rollout.Wave).OrderBy(t => t.Machine, StringComparer.Ordinal).ToList();
        var machines = await db.Machines.Where(m => wave.Select(t => t.Machine).Contains(m.Name)).ToDictionaryAsync(m => m.Name, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var name = WaveName(rollout.Wave);

        if (rollout.WaveDecided)
        {
            // Resumed after the gate spoke: on to the next wave, or done when that was the last one.
            if (rollout.Wave + 1 >= rollout.Waves)
            {
                rollout.State = RolloutState.Completed;
                rollout.Reason = $"completed after a resume: {rollout.Targets.Count(t => t.State == TargetState.Healthy)} of {rollout.Targets.Count} machines healthy, "
                    + $"{rollout.Targets.Count(t => t.State == TargetState.Failed)} failed";
                Audit(db, rollout, "rollout-completed", rollout.Reason, now);
                await SaveAsync(db, rollout, now, cancellationToken);
                return;
            }

            rollout.Wave++;
            rollout.WaveDecided = false;
            rollout.WaveStartedAt = null;
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        var unstarted = wave.Where(t => t.State == TargetState.Pending).ToList();
        if (rollout.WaveStartedAt is null || unstarted.Count > 0)
        {
            // Machine by machine, each start saved at once: a boot service that goes away mid-wave
            // fails this round (BootServiceUnreachableException), and the next one goes on with the
            // machines not started yet, never power-cycling one twice.
            rollout.WaveStartedAt ??= now;
            var inPlaceMode = plan.Mode == BootService.Contract.DeployModes.InPlace;
            foreach (var target in unstarted)
            {
                var machine = machines[target.Machine];
                try
                {
                    var observed = await fleet.ObserveAsync(machine, cancellationToken);
                    target.PreviousImage ??= observed?.CurrentImage;
                    // In-place where the machine's running system can (healthy, on A/B slots); a reimage otherwise.
                    var inPlace = inPlaceMode && observed is { CanUpdateInPlace: true };
                    await fleet.DeployAsync(machine, rollout.ImageId, inPlace, cancellationToken);
                    (target.State, target.Since, target.Reason) = (TargetState.Deploying, clock.GetUtcNow().UtcDateTime,
                        inPlace ? "updating in place" : inPlaceMode ? "reimaged: no healthy running system on A/B slots to update in place" : null);
                }
                catch (Exception e) when (e is Redfish.RedfishException or InvalidOperationException
                    || (e is HttpRequestException && !BootServiceUnreachableException.IsUnreachable(e, cancellationToken)))
                {
                    (target.State, target.Since, target.Reason) = (TargetState.Failed, now, $"could not start its deployment: {e.Message}");
                }
                catch (Exception e) when (e is BootServiceUnreachableException || BootServiceUnreachableException.IsUnreachable(e, cancellationToken))
                {
                    rollout.Reason = $"{name}: waiting for the boot service ({e.Message}); {wave.Count(t => t.State != TargetState.Pending)} of {wave.Count} machine(s) started";
                    await SaveAsync(db, rollout, now, cancellationToken);
                    if (e is BootServiceUnreachableException)
                        throw;
                    throw new BootServiceUnreachableException(null, e);
                }

                // The lease is renewed with each machine: a wave of many machines takes longer than one lease.
                rollout.LeaseUntil = clock.GetUtcNow().UtcDateTime + RolloutController.Lease;
                await SaveAsync(db, rollout, now, cancellationToken);
            }

            var inPlaceCount = wave.Count(t => t.Reason == "updating in place");
            rollout.Reason = inPlaceCount == 0
                ? $"{name}: {wave.Count} machine(s) power-cycled into the deploy environment"
                : $"{name}: {inPlaceCount} machine(s) updating in place, {wave.Count - inPlaceCount} power-cycled into the deploy environment";
            Audit(db, rollout, "rollout-wave-started", $"{name}: {string.Join(", ", wave.Select(t => t.Machine))}", now);
            await SaveAsync(db, rollout, now, cancellationToken);
            return;
        }

        var started = DateTime.SpecifyKind(rollout.WaveStartedAt.Value, DateTimeKind.Utc);
        foreach (var target in wave.Where(t => t.State == TargetState.Deploying))
        {
            if (await fleet.DeploymentEndAsync(machines[target.Machine], rollout.ImageId, new DateTimeOffset(started), cancellationToken) is not { } end)
                continue;
            if (end.Healthy)
                (target.State, target.Since) = (TargetState.Healthy, end.At.UtcDateTime);
            else
                (target.State, target.Since, target.Reason) = (TargetState.Failed, end.At.UtcDateTime, end.Reason);
        }

        var progress = wave.Select(t => new MachineProgress(t.Machine,
            t.State switch { TargetState.Healthy => MachineOutcome.Healthy, TargetState.Failed => MachineOutcome.Failed, _ => MachineOutcome.Deploying },
            new DateTimeOffset(DateTime.SpecifyKind(t.Since ?? started, DateTimeKind.Utc)), t.Reason)).ToList();
        var verdict = WaveGate.Decide(progress, new DateTimeOffset(started), plan, new DateTimeOffset(now));
        switch (verdict.Decision)
        {
            case WaveDecision.Passed when rollout.Wave == rollout.Waves - 1:
                rollout.State = RolloutState.Completed;
                rollout.Reason = $"completed: {rollout.Targets.Count(t => t.State == TargetState.Healthy)} of {rollout.Targets.Count} machines healthy on {AuditEntries.ShortId(rollout.ImageId)}";
                Audit(db, rollout, "rollout-completed", rollout.Reason, now);
                break;
            case WaveDecision.Passed:
                rollout.WaveDecided = true;
                rollout.Reason = $"{name} passed: {verdict.Reason}";
                Audit(db, rollout, "rollout-wave-passed", rollout.Reason, now);
                if (!plan.AutoAdvance)
                {
                    rollout.State = RolloutState.Paused;
                    rollout.Reason += $"; {WaveName(rollout.Wave + 1)} waits for an operator (resume)";
                }

                break;
            case WaveDecision.Failed:
                rollout.WaveDecided = true;
                rollout.Reason = $"{name} failed: {verdict.Reason}";
                Audit(db, rollout, "rollout-wave-failed", rollout.Reason, now);
                // Paused in the same write that records the failure: whatever happens next (the rollback
                // refused, this server killed), a failed wave never leads to the next one by itself.
                rollout.State = RolloutState.Paused;
                if (plan.RollbackOnFailure)
                {
                    rollout.Reason += "; rolling back";
                    await SaveAsync(db, rollout, now, cancellationToken);
                    try
                    {
                        await desk.RollbackAsync(rollout.Id, "rollout controller", cancellationToken);
                    }
                    catch (RequestRefusedException e)
                    {
                        rollout.Reason = $"{name} failed: {verdict.Reason}; paused, the rollback was refused: {e.Message}";
                        Audit(db, rollout, "rollout-rollback-refused", e.Message, now);
                        await SaveAsync(db, rollout, now, cancellationToken);
                    }

                    return;
                }

                rollout.Reason += "; paused (resume to go on with the next wave, or roll back)";
                break;
            default:
                rollout.Reason = $"{name}: {verdict.Reason}";
                break;
        }

        await SaveAsync(db, rollout, now, cancellationToken);
    }

    public static string WaveName(int wave) => wave == 0 ? "canary" : $"wave {wave}";

    private static async Task SaveAsync(PipelineDb db, Rollout rollout, DateTime now, CancellationToken cancellationToken)
    {
        rollout.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
    }

    private static void Audit(PipelineDb db, Rollout rollout, string action, string detail, DateTime now) =>
        db.Audit.Add(RolloutDesk.Entry(rollout, "rollout controller", action, detail, now));
}
