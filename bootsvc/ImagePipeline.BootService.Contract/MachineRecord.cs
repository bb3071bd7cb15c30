using System.Text.Json.Serialization;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.BootService.Contract;

/// <summary>
/// One physical (or lab) machine as the boot service's inventory keeps it and its operator API
/// shows it (<c>GET /api/v1/machines</c>): the same record on both sides of the wire.
/// </summary>
public sealed record MachineRecord
{
    public required string Id { get; init; }
    /// <summary>The MAC it network-boots from: lower case, colon separated.</summary>
    public required string Mac { get; init; }
    public required MachineState State { get; init; }
    /// <summary>Last address the DHCP server gave it.</summary>
    public string? Address { get; init; }
    /// <summary>"bios" or "uefi", from its last DHCP request or its agent.</summary>
    public string? Firmware { get; init; }
    /// <summary>The image it should run; set by a rollout (or an operator).</summary>
    public string? DesiredImage { get; init; }
    /// <summary>The image the agent last wrote to its disk.</summary>
    public string? CurrentImage { get; init; }
    /// <summary>The hardware its agent reported, null before it registered.</summary>
    public HardwareFacts? Facts { get; init; }
    /// <summary>Deploy-environment boots since the desired image last changed or last succeeded.</summary>
    public int DeployAttempts { get; init; }
    public string? LastError { get; init; }
    /// <summary>How the agent last wrote an image to it and what crossed the network; null before its first write.</summary>
    public LastDeploy? LastDeploy { get; init; }
    /// <summary>How the desired image is to get there: <see cref="DeployModes.InPlace"/>, or null (reimage).</summary>
    public string? DesiredMode { get; init; }
    /// <summary>The A/B slot the machine last reported running from; null for an image without slots.</summary>
    public string? Slot { get; init; }
    /// <summary>For a desired image without our agent: the probes the boot service makes from outside once it booted; null when the image's agent reports its health.</summary>
    public IReadOnlyList<HealthProbe>? DesiredHealth { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The desired image is set and is not on the disk yet.</summary>
    [JsonIgnore]
    public bool NeedsDeploy => DesiredImage is not null && DesiredImage != CurrentImage;

    /// <summary>The desired image is to be written by the machine's running system, not by a netboot.</summary>
    [JsonIgnore]
    public bool UpdatesInPlace => DesiredMode == DeployModes.InPlace && CurrentImage is not null;
}

/// <summary>A machine's last image write: "full" (the whole stream) or "delta" (only the chunks its disk lacked), and the bytes fetched for it.</summary>
public sealed record LastDeploy(string Method, long BytesFetched);
