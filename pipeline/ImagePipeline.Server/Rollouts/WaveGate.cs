using System.Globalization;

namespace ImagePipeline.Server.Rollouts;

/// <summary>What a running wave's gate says: wait, bake, pass, or fail — with the reason in words.</summary>
public enum WaveDecision
{
    /// <summary>Machines are still deploying, within the timeout.</summary>
    Waiting,
    /// <summary>Every machine has an outcome, failures within the limit: the wave bakes until <see cref="WaveVerdict.BakeEndsAt"/>.</summary>
    Baking,
    Passed,
    Failed,
}

public sealed record WaveVerdict(WaveDecision Decision, string Reason, int Healthy, int Failed, int Deploying, DateTimeOffset? BakeEndsAt, IReadOnlyList<string> FailedMachines);

/// <summary>
/// The wave gate: a wave passes when all its machines report healthy within the plan's timeout
/// (a machine silent past the timeout counts as failed), failures stay within the plan's limit,
/// and the bake time has passed since the last report without a new failure. One pass over the
/// wave's machines per decision.
/// </summary>
public static class WaveGate
{
    public static WaveVerdict Decide(IReadOnlyList<MachineProgress> wave, DateTimeOffset startedAt, RolloutPlan plan, DateTimeOffset now)
    {
        int healthy = 0, failed = 0, deploying = 0;
        var lastReport = startedAt;
        var failures = new List<string>();
        var timedOut = now - startedAt > plan.WaveTimeout;
        foreach (var machine in wave)
        {
            switch (machine.Outcome)
            {
                case MachineOutcome.Healthy:
                    healthy++;
                    break;
                case MachineOutcome.Failed:
                    failed++;
                    failures.Add(machine.Reason is null ? machine.MachineId : $"{machine.MachineId} ({machine.Reason})");
                    break;
                case MachineOutcome.Deploying when timedOut:
                    failed++;
                    failures.Add($"{machine.MachineId} (no healthy report within {Minutes(plan.WaveTimeout)})");
                    break;
                default:
                    deploying++;
                    break;
            }

            if (machine.Outcome != MachineOutcome.Deploying && machine.Since > lastReport)
                lastReport = machine.Since;
        }

        if (failed > plan.MaxFailuresPerWave)
        {
            var shown = string.Join(", ", failures.Take(5)) + (failures.Count > 5 ? $" and {failures.Count - 5} more" : "");
            return new WaveVerdict(WaveDecision.Failed, $"{failed} of {wave.Count} machines failed (limit {plan.MaxFailuresPerWave}): {shown}", healthy, failed, deploying, null, failures);
        }

        if (deploying > 0)
        {
            return new WaveVerdict(WaveDecision.Waiting,
                $"{healthy} of {wave.Count} healthy, {deploying} deploying, {failed} failed; timeout at {(startedAt + plan.WaveTimeout).ToString("HH:mm:ss", CultureInfo.InvariantCulture)}",
                healthy, failed, deploying, null, failures);
        }

        var bakeEnds = lastReport + plan.Bake;
        return now < bakeEnds
            ? new WaveVerdict(WaveDecision.Baking, $"{healthy} of {wave.Count} healthy, {failed} failed (limit {plan.MaxFailuresPerWave}); baking until {bakeEnds.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}", healthy, failed, 0, bakeEnds, failures)
            : new WaveVerdict(WaveDecision.Passed, $"{healthy} of {wave.Count} healthy, {failed} failed (limit {plan.MaxFailuresPerWave}), baked {Minutes(plan.Bake)}", healthy, failed, 0, bakeEnds, failures);
    }

    private static string Minutes(TimeSpan span) => span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";
}
