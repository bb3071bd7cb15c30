namespace ImagePipeline.Agent.Protocol;

/// <summary>
/// The validation channel between the harness and the agent inside a booted image: a
/// virtio-serial port that only the validation harness's QEMU gives a machine, carrying one JSON
/// object per line. The agent says <see cref="GuestChannelHello"/> when it opens the port; the
/// harness sends <see cref="GuestCommandRequest"/>s, one at a time, each answered by a
/// <see cref="GuestCommandReply"/>. A request runs only if it carries the key the harness gave
/// this boot through QEMU's firmware configuration (fw_cfg), which no bare-metal machine has.
/// </summary>
public static class GuestChannelProtocol
{
    public const string Version = "imagepipeline-guest-channel/1";

    /// <summary>The virtio-serial port's name (<c>/sys/class/virtio-ports/*/name</c>, <c>/dev/virtio-ports/NAME</c>).</summary>
    public const string PortName = "org.imagepipeline.validation";

    /// <summary>The fw_cfg file holding this boot's key (hex), readable in the guest under <c>/sys/firmware/qemu_fw_cfg/by_name/</c>.</summary>
    public const string KeyFirmwareName = "opt/org.imagepipeline/validation-key";

    /// <summary>Output kept per command; more is cut and said so.</summary>
    public const int MaxOutputBytes = 1 << 20;
}

/// <summary>The agent's first line on the channel: it is listening.</summary>
public sealed record GuestChannelHello(string Hello, bool HasKey);

/// <summary>Run <see cref="Command"/> with <c>/bin/sh -c</c> as root; stdout and stderr together.</summary>
public sealed record GuestCommandRequest(long Id, string Key, string Command, int TimeoutSeconds);

/// <summary>The command's exit code and output, or why it was not run (<see cref="Refused"/>) or was stopped (<see cref="TimedOut"/>).</summary>
public sealed record GuestCommandReply(long Id, int ExitCode, string Output, string? Refused = null, bool TimedOut = false);
