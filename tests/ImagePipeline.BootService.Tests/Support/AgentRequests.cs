using System.Net.Http.Headers;
using System.Net.Http.Json;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.BootService.Tests.Support;

/// <summary>What a deploy environment's agent sends, made by hand: its hardware facts and its calls to the agent API with its token.</summary>
internal static class AgentRequests
{
    /// <summary>A small UEFI VM with one virtio disk (serial <c>disk0</c>) and one NIC with this MAC.</summary>
    public static HardwareFacts Facts(string mac) => new()
    {
        Firmware = "uefi",
        Cpu = new CpuFacts("QEMU Virtual CPU", 2),
        MemoryBytes = 1L << 30,
        Disks = [new DiskFacts { Name = "vda", SizeBytes = 8L << 30, Serial = "disk0" }],
        Nics = [new NicFacts { Name = "eth0", Mac = mac, Driver = "virtio_net" }],
        Dmi = new DmiFacts("QEMU", "Standard PC", null),
    };

    /// <summary>POSTs a protocol body to an agent route, with the machine's token (none: without one).</summary>
    public static async Task<HttpResponseMessage> PostAsync<T>(InProcessBootService service, string path, T body, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, ProtocolJson.Default.GetTypeInfo(typeof(T))!) };
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await service.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
