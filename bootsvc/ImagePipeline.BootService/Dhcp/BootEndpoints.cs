using System.Net;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>Where clients reach this boot service: its address on the boot network and its HTTP base URL.</summary>
public sealed record BootEndpoints(IPAddress ServerAddress, int HttpPort)
{
    public string HttpBase => $"http://{ServerAddress}:{HttpPort}";

    public string ScriptUrl(string mac) => $"{HttpBase}/boot/{mac}.ipxe";

    public string FileUrl(string name) => $"{HttpBase}/files/{name}";
}
