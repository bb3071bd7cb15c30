using System.Net;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.BootService.Inventory;

/// <summary>One physical (or lab) machine as the boot service knows it.</summary>
public sealed record Machine
{
    public required string Id { get; init; }
    /// <summary>The MAC it network-boots from (canonical spelling, see Network.MacAddress).</summary>
    public required string Mac { get; init; }
    public required MachineState State { get; init; }
    /// <summary>Last address the DHCP server gave it.</summary>
    public IPAddress? Address { get; init; }
    /// <summary>"bios" or "uefi", from its last DHCP request (option 93) or its agent.</summary>
    public string? Firmware { get; init; }
    /// <summary>The image it should run; set by a rollout (or an operator).</summary>
    public string? DesiredImage { get; init; }
    /// <summary>The image the agent last wrote to its disk.</summary>
    public string? CurrentImage { get; init; }
    public HardwareFacts? Facts { get; init; }
    /// <summary>Deploy-environment boots since the desired image last changed or last succeeded.</summary>
    public int DeployAttempts { get; init; }
    public string? LastError { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The desired image is set and is not on the disk yet.</summary>
    public bool NeedsDeploy => DesiredImage is not null && DesiredImage != CurrentImage;
}
