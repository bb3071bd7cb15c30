namespace ImagePipeline.BootService.Contract;

/// <summary>
/// Where a machine is in its life. A machine the inventory has never seen is "unknown" and has no
/// record. <c>discovered → deploying → booting → healthy | failed</c>; the boot service's <c>MachineLifecycle</c> says which moves are allowed.
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
    /// <summary>The deployment or the image's health failed; the machine's <c>lastError</c> says why.</summary>
    Failed,
}
