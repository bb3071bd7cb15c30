namespace ImagePipeline.Validation.Lab;

/// <summary>The power actions a lab machine's BMC takes (the Redfish ResetType values it supports).</summary>
public enum ResetType
{
    /// <summary>Power on; nothing happens if it is on.</summary>
    On,
    /// <summary>Cut the power at once: the disk keeps whatever reached it.</summary>
    ForceOff,
    /// <summary>Press the power button: ACPI shutdown, the OS decides.</summary>
    GracefulShutdown,
    /// <summary>Hard reset: power cut, then on again (on from off).</summary>
    ForceRestart,
    /// <summary>Off for a moment, then on; on from off.</summary>
    PowerCycle,
}
