using ImagePipeline.BootService.Contract;

namespace ImagePipeline.BootService.Tests.Contract;

/// <summary>The one rule a rollout's waves and the lab's deployments decide by: the last move into healthy or failed since the deployment began, healthy only on the image given.</summary>
public sealed class DeploymentEndTests
{
    private static readonly DateTimeOffset Began = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private const string Old = "old-image";
    private const string New = "new-image";

    /// <summary>A state change, as the boot service records it.</summary>
    private static MachineEvent At(int seconds, MachineState to, string detail = "") =>
        new(0, "m-1", Began.AddSeconds(seconds), MachineEventKind.Of(to), null, to, detail);

    /// <summary>An entry that is not a state change.</summary>
    private static MachineEvent Noted(int seconds, string kind) => new(0, "m-1", Began.AddSeconds(seconds), kind, null, null, "");

    [Fact]
    public void What_happened_before_the_deployment_began_does_not_end_it()
    {
        MachineEvent[] history = [At(-600, MachineState.Healthy, "booted in 3.1 s"), At(-30, MachineState.Failed, "check http: connection refused"), Noted(2, MachineEventKind.Netboot), At(3, MachineState.Deploying)];

        DeploymentEnd.Of(history, Old, New, Began).ShouldBeNull("still on its way: the old image's health and the earlier failure are from before");
    }

    [Fact]
    public void The_old_image_reporting_healthy_after_the_start_is_not_the_new_one_healthy()
    {
        // The machine's old OS reports in before the power cycle takes it down.
        MachineEvent[] history = [At(1, MachineState.Healthy, "booted in 3.0 s")];

        DeploymentEnd.Of(history, Old, New, Began).ShouldBeNull();
    }

    [Fact]
    public void Healthy_on_the_new_image_ends_it_at_that_report()
    {
        MachineEvent[] history = [At(3, MachineState.Deploying), At(40, MachineState.Booting), At(55, MachineState.Healthy, "booted in 3.2 s")];

        var end = DeploymentEnd.Of(history, New, New, Began).ShouldNotBeNull();

        end.Healthy.ShouldBeTrue();
        end.At.ShouldBe(Began.AddSeconds(55));
        end.Reason.ShouldBeNull();
    }

    [Fact]
    public void A_failure_ends_it_with_the_boot_services_reason_and_the_last_end_counts()
    {
        MachineEvent[] failed = [At(3, MachineState.Deploying), At(20, MachineState.Failed, "signature does not verify")];
        MachineEvent[] failedThenHealthy = [.. failed, At(90, MachineState.Healthy, "booted in 3.0 s")];
        MachineEvent[] bare = [At(20, MachineState.Failed)];

        var end = DeploymentEnd.Of(failed, Old, New, Began).ShouldNotBeNull();
        end.Healthy.ShouldBeFalse();
        end.Reason.ShouldBe("signature does not verify");
        DeploymentEnd.Of(failedThenHealthy, New, New, Began).ShouldNotBeNull().Healthy.ShouldBeTrue();
        DeploymentEnd.Of(bare, Old, New, Began).ShouldNotBeNull().Reason.ShouldBe("the boot service marked it failed");
    }
}
