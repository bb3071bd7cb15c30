namespace ImagePipeline.BootService.Inventory;

/// <summary>
/// Where a machine is in its life. A machine the inventory has never seen is "unknown" and has no
/// record. <c>discovered → deploying → booting → healthy | failed</c>; see <see cref="MachineLifecycle"/>.
/// </summary>
public enum MachineState
{
    /// <summary>Seen and registered, no image assigned.</summary>
    Discovered,
    /// <summary>Netbooted into the deploy environment to write its desired image.</summary>
    Deploying,
    /// <summary>The agent wrote the image and rebooted; waiting for the image's health report.</summary>
    Booting,
    /// <summary>The image reported healthy.</summary>
    Healthy,
    /// <summary>The deployment or the image's health failed; <see cref="Machine.LastError"/> says why.</summary>
    Failed,
}
