namespace ImagePipeline.Validation.Lab;

/// <summary>A machine's power, as its BMC reports it.</summary>
public enum PowerState
{
    Off,
    On,
}
