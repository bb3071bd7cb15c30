namespace ImagePipeline.Validation.Lab;

/// <summary>How long a boot override lasts (Redfish BootSourceOverrideEnabled).</summary>
public enum BootOverrideMode
{
    Disabled,
    /// <summary>For the next boot only; then it is Disabled again.</summary>
    Once,
    /// <summary>For every boot until changed.</summary>
    Continuous,
}
