namespace ImagePipeline.BootService.Contract;

/// <summary>The kinds of a machine's history entries that are not state changes (a state change's kind is its new state, <see cref="Of"/>).</summary>
public static class MachineEventKind
{
    /// <summary>A network boot the DHCP server acknowledged.</summary>
    public const string Netboot = "netboot";
    /// <summary>The agent in the deploy environment registered and reported the hardware.</summary>
    public const string Registered = "registered";
    /// <summary>An operator or a rollout set the image the machine should run.</summary>
    public const string DesiredImage = "desired-image";
    /// <summary>The boot service's probes of an image without our agent failed, for a new reason (<c>HealthProber</c>).</summary>
    public const string Probe = "probe";

    /// <summary>The kind of the event that moves a machine into <paramref name="state"/>.</summary>
    public static string Of(MachineState state) => state.ToString().ToLowerInvariant();
}
