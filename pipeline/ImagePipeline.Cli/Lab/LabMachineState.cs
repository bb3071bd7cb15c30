using System.Text.Json.Serialization;

namespace ImagePipeline.Cli.Lab;

/// <summary>One lab machine as lab.json records it.</summary>
public sealed record LabMachineState(string Id, string Profile, string Mac, string Firmware, string Nic, string Disk, int MemoryMiB, string Console)
{
    /// <summary>Where its BMC's Redfish service has it.</summary>
    [JsonIgnore]
    public string SystemPath => $"/redfish/v1/Systems/{Id}";
}
