using System.Text.Json;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Server.Fleet;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Telemetry;
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
    /// <summary>How many machines' power cycles go out at once: BMCs are machines of their own, and a wave of thousands is not sent one by one.</summary>
    public const int PowerCycleBatch = 32;

    /// <returns>true when the step moved the rollout on (a wave passed, the next one is due) and another step should follow at once</returns>
    public async Task<bool> StepAsync(long rolloutId, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var rollout = await db.Rollouts.Include(r => r.Targets).SingleAsync(r => r.Id == rolloutId, cancellationToken);
        if (rollout.State != RolloutState.Running)
            return false;
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
                return false;
            }

            rollout.Wave++;
            rollout.WaveDecided = false;
            rollout.WaveStartedAt = null;
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }

        var unstarted = wave.Where(t => t.State == TargetState.Pending).ToList();
        // Machines whose site's boot service is away this round, and why: they wait (pending, or
        // deploying as last seen) while the other sites' machines go on.
        var away = new Dictionary<string, BootServiceUnreachableException>(StringComparer.Ordinal);
        if (rollout.WaveStartedAt is null || unstarted.Count > 0)
        {
            // The wave's desired images in one request per boot service (one transaction there),
            // then machine by machine the power cycle, each start saved at once: a boot service that
            // goes away mid-wave leaves its machines pending, and a later round starts them, never
            // power-cycling one twice.
            var firstStart = wave.All(t => t.State == TargetState.Pending);
            rollout.WaveStartedAt ??= now;
            // An image without our agent is known healthy by its boot service's probes, and is
            // always reimaged: an in-place update needs the agent of the image it replaces and of itself.
            var health = ImportedImages.ImportChecks.ReadProbes(await db.Images.Where(i => i.ImageId == rollout.ImageId).Select(i => i.HealthProbes).SingleOrDefaultAsync(cancellationToken));
            var inPlaceMode = plan.Mode == DeployModes.InPlace && health is null;
            var starting = new List<(RolloutTarget Target, Machine Machine, bool InPlace)>();
            try
            {
                foreach (var target in unstarted)
                {
                    try
                    {
                        var observed = await fleet.ObserveAsync(machines[target.Machine], cancellationToken);
                        target.PreviousImage ??= observed?.CurrentImage;
                        // In-place where the machine's running system can (healthy, on A/B slots); a reimage otherwise.
                        starting.Add((target, machines[target.Machine], inPlaceMode && observed is { CanUpdateInPlace: true }));
                    }
                    catch (BootServiceUnreachableException e)
                    {
                        away[target.Machine] = e;
                    }
                    catch (InvalidOperationException e)
                    {
                        // No boot service serves its site: this machine cannot be deployed, the others go on.
                        (target.State, target.Since, target.Reason) = (TargetState.Failed, now, $"could not start its deployment: {e.Message}");
                    }
                }

                foreach (var (machine, why) in await fleet.AssignAsync([.. starting.Select(s => (s.Machine, s.InPlace))], rollout.ImageId, health, cancellationToken))
                    away[machine] = why;
                starting.RemoveAll(s => away.ContainsKey(s.Target.Machine));
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
            {
                // Refused (not away): none of these machines was told; each fails with the reason.
                foreach (var (target, _, _) in starting)
                    (target.State, target.Since, target.Reason) = (TargetState.Failed, now, $"could not start its deployment: {e.Message}");
                starting.Clear();
            }

            // Power cycles go out a batch at a time (one slow BMC holds up only its batch), and each
            // batch's starts are saved together: a server killed mid-wave power-cycles at most one
            // batch again when it resumes (their deployments start over), and never leaves one unstarted.
            foreach (var batch in starting.Chunk(PowerCycleBatch))
            {
                var cycled = await Task.WhenAll(batch.Select(async start =>
                {
                    try
                    {
                        // In place: the machine's agent asks the boot service on its own; nothing to power-cycle.
                        if (!start.InPlace)
                            await fleet.PowerCycleIntoDeployAsync(start.Machine, cancellationToken);
                        return (start, Error: (string?)null, At: clock.GetUtcNow().UtcDateTime);
                    }
                    catch (Redfish.RedfishException e)
                    {
                        return (start, Error: e.Message, At: now);
                    }
                }));
                foreach (var ((target, _, inPlace), error, at) in cycled)
                {
                    (target.State, target.Since, target.Reason) = error is null
                        ? (TargetState.Deploying, at, inPlace ? "updating in place" : inPlaceMode ? "reimaged: no healthy running system on A/B slots to update in place" : null)
                        : (TargetState.Failed, at, $"could not start its deployment: {error}");
                }

                // The lease is renewed with each batch: a wave of many machines takes longer than one lease.
                rollout.LeaseUntil = clock.GetUtcNow().UtcDateTime + RolloutController.Lease;
                await SaveAsync(db, rollout, now, cancellationToken);
            }

            foreach (var target in unstarted.Where(t => away.ContainsKey(t.Machine)))
                target.Reason = $"waiting: {away[target.Machine].Message}";
            if (starting.Count > 0)
            {
                Audit(db, rollout, firstStart ? "rollout-wave-started" : "rollout-wave-machines-started",
                    $"{name}: {string.Join(", ", starting.Select(s => s.Target.Machine))}", now);
            }

            if (away.Count == 0)
            {
                var inPlaceCount = wave.Count(t => t.Reason == "updating in place");
                rollout.Reason = inPlaceCount == 0
                    ? $"{name}: {wave.Count} machine(s) power-cycled into the deploy environment"
                    : $"{name}: {inPlaceCount} machine(s) updating in place, {wave.Count - inPlaceCount} power-cycled into the deploy environment";
                await SaveAsync(db, rollout, now, cancellationToken);
                return false;
            }

            if (wave.All(t => t.State == TargetState.Pending))
            {
                // Nothing could start: the round fails, and the controller backs off until a boot service is back.
                rollout.Reason = $"{name}: {Waiting(away)}; 0 of {wave.Count} machine(s) started";
                await SaveAsync(db, rollout, now, cancellationToken);
                throw away.Values.First();
            }
        }

        var started = DateTime.SpecifyKind(rollout.WaveStartedAt.Value, DateTimeKind.Utc);
        foreach (var target in wave.Where(t => t.State == TargetState.Deploying))
        {
            DeploymentEnd? end;
            try
            {
                end = await fleet.DeploymentEndAsync(machines[target.Machine], rollout.ImageId, new DateTimeOffset(started), cancellationToken);
            }
            catch (BootServiceUnreachableException e)
            {
                away[target.Machine] = e;
                continue;
            }

            if (end is null)
                continue;
            if (end.Healthy)
                (target.State, target.Since) = (TargetState.Healthy, end.At.UtcDateTime);
            else
                (target.State, target.Since, target.Reason) = (TargetState.Failed, end.At.UtcDateTime, end.Reason);
        }

        if (away.Count > 0 && wave.Where(t => t.State is TargetState.Deploying or TargetState.Pending).All(t => away.ContainsKey(t.Machine)))
        {
            // Every machine still on its way is behind an unreachable boot service: nothing to decide this round.
            rollout.Reason = $"{name}: {Waiting(away)}; {wave.Count(t => t.State == TargetState.Healthy)} of {wave.Count} machine(s) healthy";
            await SaveAsync(db, rollout, now, cancellationToken);
            throw away.Values.First();
        }

        var progress = wave.Select(t => new MachineProgress(t.Machine,
            t.State switch { TargetState.Healthy => MachineOutcome.Healthy, TargetState.Failed => MachineOutcome.Failed, _ => MachineOutcome.Deploying },
            new DateTimeOffset(DateTime.SpecifyKind(t.Since ?? started, DateTimeKind.Utc)), t.Reason)).ToList();
        var verdict = WaveGate.Decide(progress, new DateTimeOffset(started), plan, new DateTimeOffset(now));
        if (verdict.Decision is WaveDecision.Passed or WaveDecision.Failed)
            await TraceWaveAsync(rollout, wave, machines, verdict, started, now, cancellationToken);
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

                    return false;
                }

                rollout.Reason += "; paused (resume to go on with the next wave, or roll back)";
                break;
            default:
                rollout.Reason = $"{name}: {verdict.Reason}" + (away.Count == 0 ? "" : $"; {Waiting(away)}");
                break;
        }

        await SaveAsync(db, rollout, now, cancellationToken);
        return rollout.State == RolloutState.Running && rollout.WaveDecided;
    }

    /// <summary>
    /// The decided wave in the rollout's trace, with its real start and end: a span per machine
    /// from the wave's start to its end, and under it one per phase (starting: the power cycle and
    /// netboot, or the in-place agent's turn; then each state the boot service saw it enter).
    /// </summary>
    private async Task TraceWaveAsync(Rollout rollout, List<RolloutTarget> wave, Dictionary<string, Machine> machines, WaveVerdict verdict, DateTime started, DateTime now,
        CancellationToken cancellationToken)
    {
        if (rollout.TraceParent is null || !PipelineTracing.Source.HasListeners())
            return;
        var begun = Utc(started);
        var waveSpan = PipelineTracing.Record("rollout.wave", rollout.TraceParent, begun, Utc(now), ("imagepipeline.rollout", rollout.Id), ("imagepipeline.wave", rollout.Wave),
            ("imagepipeline.machines", wave.Count), ("imagepipeline.healthy", verdict.Healthy), ("imagepipeline.failed", verdict.Failed));
        if (verdict.Decision == WaveDecision.Failed)
            PipelineTracing.Failed(waveSpan, verdict.Reason);
        foreach (var target in wave.Where(t => t.State is TargetState.Healthy or TargetState.Failed && t.Since is not null))
        {
            var ended = Utc(target.Since!.Value);
            var machineSpan = PipelineTracing.Record("machine.deploy", waveSpan, begun, ended, ("imagepipeline.machine", target.Machine),
                ("imagepipeline.outcome", target.State.ToString().ToLowerInvariant()));
            if (target.State == TargetState.Failed)
                PipelineTracing.Failed(machineSpan, target.Reason ?? "failed");
            IReadOnlyList<MachineEvent> changes;
            try
            {
                changes = await fleet.ChangesAsync(machines[target.Machine], begun, cancellationToken);
            }
            catch (BootServiceUnreachableException)
            {
                continue;
            }

            var (phase, from) = ("starting", begun);
            foreach (var change in changes.Where(c => c.At <= ended))
            {
                PipelineTracing.Record("machine.phase", machineSpan, from, change.At, ("imagepipeline.phase", phase));
                (phase, from) = (change.To!.Value.ToString().ToLowerInvariant(), change.At);
                if (change.EndsDeployment)
                    break;
            }
        }
    }

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));

    public static string WaveName(int wave) => wave == 0 ? "canary" : $"wave {wave}";

    /// <summary>Which machines wait for which unreachable boot service: "waiting for site ams1's boot service … (web-3, web-4)".</summary>
    private static string Waiting(IReadOnlyDictionary<string, BootServiceUnreachableException> away) =>
        string.Join("; ", away.GroupBy(a => a.Value.Message, StringComparer.Ordinal)
            .Select(g => $"waiting: {g.Key} ({string.Join(", ", g.Select(a => a.Key).Order(StringComparer.Ordinal))})"));

    private static async Task SaveAsync(PipelineDb db, Rollout rollout, DateTime now, CancellationToken cancellationToken)
    {
        rollout.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
    }

    private static void Audit(PipelineDb db, Rollout rollout, string action, string detail, DateTime now) =>
        db.Audit.Add(RolloutDesk.Entry(rollout, "rollout controller", action, detail, now));
}
