namespace ImagePipeline.Validation.Lab;

/// <summary>Where a machine boots from when a boot override is in effect (Redfish BootSourceOverrideTarget).</summary>
public enum BootSource
{
    /// <summary>No override: the machine's own boot order (lab machines: the network first, then the disk).</summary>
    None,
    /// <summary>The NIC's network boot first.</summary>
    Pxe,
    /// <summary>The disk only: the NIC is left out of the boot order.</summary>
    Hdd,
}
