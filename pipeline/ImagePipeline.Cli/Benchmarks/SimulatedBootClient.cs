using System.Diagnostics;
using ImagePipeline.BootService.Dhcp;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>One machine of a boot storm, behaving like iPXE: DHCP with iPXE's options, then its script, then the kernel and initrd the script names.</summary>
internal sealed class SimulatedBootClient(byte[] mac, uint xid, DhcpExchange dhcp, HttpClient http)
{
    public async Task<TimeSpan> BootAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var offer = await dhcp.ExchangeAsync(Message(DhcpMessageType.Discover), DhcpMessageType.Offer, cancellationToken);
        var request = Message(DhcpMessageType.Request);
        request.Options.SetAddress(DhcpOptionCode.RequestedIpAddress, offer.YourAddress);
        request.Options.SetAddress(DhcpOptionCode.ServerIdentifier, offer.Options.GetAddress(DhcpOptionCode.ServerIdentifier)!);
        var ack = await dhcp.ExchangeAsync(request, DhcpMessageType.Ack, cancellationToken);
        var scriptUrl = ack.Options.GetText(DhcpOptionCode.BootFileName) ?? throw new InvalidOperationException("the ACK names no boot file");
        var script = await http.GetStringAsync(scriptUrl, cancellationToken);
        foreach (var line in script.Split('\n'))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words is ["kernel" or "initrd", var url, ..])
                await DownloadAsync(url, cancellationToken);
        }

        return watch.Elapsed;
    }

    private DhcpMessage Message(DhcpMessageType type)
    {
        var message = new DhcpMessage { Op = DhcpMessage.BootRequest, TransactionId = xid, Flags = DhcpMessage.BroadcastFlag };
        mac.CopyTo(message.ClientHardwareAddress, 0);
        message.Options.SetByte(DhcpOptionCode.MessageType, (byte)type);
        message.Options.SetText(DhcpOptionCode.VendorClassIdentifier, "PXEClient:Arch:00000:UNDI:002001");
        message.Options.Set(DhcpOptionCode.ClientArchitecture, [0, 0]);
        message.Options.Set(DhcpOptionCode.UserClass, "\u0004iPXE"u8.ToArray());
        message.Options.Set(DhcpOptionCode.IpxeEncapsulated, [0x13, 1, 1]);
        return message;
    }

    private async Task DownloadAsync(string url, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            total += read;
        if (total != response.Content.Headers.ContentLength)
            throw new InvalidOperationException($"{url}: {total} bytes of {response.Content.Headers.ContentLength}");
    }
}
