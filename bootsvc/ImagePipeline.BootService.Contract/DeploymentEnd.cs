namespace ImagePipeline.BootService.Contract;

/// <summary>How a machine's deployment ended: healthy on the image it was given, or failed; when, and why it failed.</summary>
public sealed record DeploymentEnd(bool Healthy, DateTimeOffset At, string? Reason)
{
    /// <summary>
    /// The one rule that decides a deployment begun at <paramref name="since"/>, for a rollout's
    /// waves and for the lab's deployments alike (<c>lab deploy</c>, <c>validate --pxe</c>): the
    /// machine's last move into healthy or failed at or after that moment. What was true before it —
    /// the old image healthy, a failed image being replaced — does not count, and a healthy report
    /// counts only from the image the machine was given; null while the machine is on its way.
    /// </summary>
    public static DeploymentEnd? Of(IReadOnlyList<MachineEvent> events, string? currentImage, string imageId, DateTimeOffset since)
    {
        var ended = events.LastOrDefault(e => e.At >= since && e.EndsDeployment);
        return ended switch
        {
            null => null,
            _ when ended.Entered(MachineState.Failed) => new DeploymentEnd(false, ended.At, string.IsNullOrEmpty(ended.Detail) ? "the boot service marked it failed" : ended.Detail),
            _ when currentImage == imageId => new DeploymentEnd(true, ended.At, null),
            _ => null,
        };
    }
}
