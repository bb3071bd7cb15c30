using ImagePipeline.Server.Fleet;

namespace ImagePipeline.Server.Tests.Fleet;

/// <summary>The one rule a rollout's waves and the lab's deployments decide by: the last healthy or failed event since the deployment began, healthy only on the image given.</summary>
public sealed class DeploymentEndTests
{
    private static readonly DateTimeOffset Began = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private const string Old = "old-image";
    private const string New = "new-image";

    private static FleetEvent At(int seconds, string kind, string detail = "") => new(Began.AddSeconds(seconds), kind, detail);

    [Fact]
    public void What_happened_before_the_deployment_began_does_not_end_it()
    {
        FleetEvent[] history = [At(-600, "healthy", "booted in 3.1 s"), At(-30, "failed", "check http: connection refused"), At(2, "netboot"), At(3, "deploying")];

        DeploymentEnd.Of(history, Old, New, Began).ShouldBeNull("still on its way: the old image's health and the earlier failure are from before");
    }

    [Fact]
    public void The_old_image_reporting_healthy_after_the_start_is_not_the_new_one_healthy()
    {
        // The machine's old OS reports in before the power cycle takes it down.
        FleetEvent[] history = [At(1, "healthy", "booted in 3.0 s")];

        DeploymentEnd.Of(history, Old, New, Began).ShouldBeNull();
    }

    [Fact]
    public void Healthy_on_the_new_image_ends_it_at_that_report()
    {
        FleetEvent[] history = [At(3, "deploying"), At(40, "booting"), At(55, "healthy", "booted in 3.2 s")];

        var end = DeploymentEnd.Of(history, New, New, Began).ShouldNotBeNull();

        end.Healthy.ShouldBeTrue();
        end.At.ShouldBe(Began.AddSeconds(55));
        end.Reason.ShouldBeNull();
    }

    [Fact]
    public void A_failure_ends_it_with_the_boot_services_reason_and_the_last_end_counts()
    {
        FleetEvent[] failed = [At(3, "deploying"), At(20, "failed", "signature does not verify")];
        FleetEvent[] failedThenHealthy = [.. failed, At(90, "healthy", "booted in 3.0 s")];
        FleetEvent[] bare = [At(20, "failed")];

        var end = DeploymentEnd.Of(failed, Old, New, Began).ShouldNotBeNull();
        end.Healthy.ShouldBeFalse();
        end.Reason.ShouldBe("signature does not verify");
        DeploymentEnd.Of(failedThenHealthy, New, New, Began).ShouldNotBeNull().Healthy.ShouldBeTrue();
        DeploymentEnd.Of(bare, Old, New, Began).ShouldNotBeNull().Reason.ShouldBe("the boot service marked it failed");
    }
}
