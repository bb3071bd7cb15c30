using System.Net;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>Where clients reach this boot service: its address on the boot network and its HTTP base URL.</summary>
public sealed record BootEndpoints(IPAddress ServerAddress, int HttpPort)
{
    public string HttpBase => $"http://{ServerAddress}:{HttpPort}";

    /// <param name="firmware">"bios" or "uefi" as DHCP option 93 said, recorded by the script endpoint</param>
    public string ScriptUrl(string mac, string? firmware = null) => $"{HttpBase}/boot/{mac}.ipxe" + (firmware is null ? "" : $"?firmware={firmware}");

    public string FileUrl(string name) => $"{HttpBase}/files/{name}";
}
