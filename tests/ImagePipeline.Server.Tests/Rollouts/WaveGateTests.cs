using ImagePipeline.Server.Rollouts;

namespace ImagePipeline.Server.Tests.Rollouts;

/// <summary>The wave gate: healthy within the timeout, failures within the limit, then the bake.</summary>
public sealed class WaveGateTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly RolloutPlan Plan = new() { WaveTimeout = TimeSpan.FromMinutes(15), Bake = TimeSpan.FromMinutes(5), MaxFailuresPerWave = 1 };

    private static MachineProgress At(string id, MachineOutcome outcome, int minutes, string? reason = null) => new(id, outcome, Start.AddMinutes(minutes), reason);

    [Fact]
    public void A_wave_waits_for_its_machines_then_bakes_from_the_last_report_then_passes()
    {
        MachineProgress[] deploying = [At("m1", MachineOutcome.Healthy, 4), At("m2", MachineOutcome.Deploying, 0)];
        MachineProgress[] done = [At("m1", MachineOutcome.Healthy, 4), At("m2", MachineOutcome.Healthy, 6)];

        WaveGate.Decide(deploying, Start, Plan, Start.AddMinutes(5)).Decision.ShouldBe(WaveDecision.Waiting);
        var baking = WaveGate.Decide(done, Start, Plan, Start.AddMinutes(7));
        baking.Decision.ShouldBe(WaveDecision.Baking);
        baking.BakeEndsAt.ShouldBe(Start.AddMinutes(11));
        WaveGate.Decide(done, Start, Plan, Start.AddMinutes(11)).Decision.ShouldBe(WaveDecision.Passed);
    }

    [Fact]
    public void Failures_within_the_limit_pass_and_past_it_fail_with_the_machines_and_reasons()
    {
        MachineProgress[] oneFailed = [At("m1", MachineOutcome.Healthy, 3), At("m2", MachineOutcome.Failed, 4, "check http: connection refused"), At("m3", MachineOutcome.Healthy, 5)];
        MachineProgress[] twoFailed = [At("m1", MachineOutcome.Failed, 3, "disk /dev/sda not found"), At("m2", MachineOutcome.Failed, 4, "check http: connection refused"), At("m3", MachineOutcome.Deploying, 0)];

        WaveGate.Decide(oneFailed, Start, Plan, Start.AddMinutes(10)).Decision.ShouldBe(WaveDecision.Passed);
        var failed = WaveGate.Decide(twoFailed, Start, Plan, Start.AddMinutes(5));
        failed.Decision.ShouldBe(WaveDecision.Failed, "it fails at once, without waiting for m3");
        failed.Reason.ShouldBe("2 of 3 machines failed (limit 1): m1 (disk /dev/sda not found), m2 (check http: connection refused)");
    }

    [Fact]
    public void A_machine_silent_past_the_timeout_counts_as_failed()
    {
        MachineProgress[] wave = [At("m1", MachineOutcome.Failed, 2, "agent: image signature does not verify"), At("m2", MachineOutcome.Deploying, 0)];

        WaveGate.Decide(wave, Start, Plan, Start.AddMinutes(14)).Decision.ShouldBe(WaveDecision.Waiting);
        var late = WaveGate.Decide(wave, Start, Plan, Start.AddMinutes(16));
        late.Decision.ShouldBe(WaveDecision.Failed);
        late.FailedMachines.ShouldContain("m2 (no healthy report within 15 min)");
    }
}
