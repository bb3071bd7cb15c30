namespace ImagePipeline.Redfish;

/// <summary>What the rollout controller needs of one Redfish ComputerSystem.</summary>
/// <param name="Path">its @odata.id, for example /redfish/v1/Systems/1</param>
/// <param name="PowerState">On, Off, PoweringOn, PoweringOff</param>
/// <param name="BootSourceOverrideTarget">Pxe, Hdd, None, ... (null when the BMC does not say)</param>
/// <param name="BootSourceOverrideEnabled">Once, Continuous, Disabled</param>
/// <param name="ResetTarget">the URI of its ComputerSystem.Reset action, as the BMC names it</param>
/// <param name="AllowedResetTypes">the ResetType values the BMC lists (empty when it does not list them)</param>
public sealed record RedfishSystem(
    string Path,
    string Id,
    string? Name,
    string? PowerState,
    string? BootSourceOverrideTarget,
    string? BootSourceOverrideEnabled,
    string ResetTarget,
    IReadOnlyList<string> AllowedResetTypes)
{
    public bool IsOn => PowerState is "On" or "PoweringOn";
}
