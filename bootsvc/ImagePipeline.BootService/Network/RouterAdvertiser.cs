using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using ImagePipeline.Loops;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.BootService.Network;

/// <summary>
/// Sends IPv6 router advertisements (RFC 4861 §4.2) on the boot network: router lifetime 0 (not a
/// default router), no prefixes, M and O flags clear. iPXE waits for IPv6 autoconfiguration
/// before it runs a script, about 13 s on a network where no router ever answers; this
/// advertisement ends its wait at once. Sent on each router solicitation and every 10 s.
/// </summary>
public sealed partial class RouterAdvertiser : IAsyncDisposable
{
    private const byte RouterSolicitation = 133;
    private const byte RouterAdvertisement = 134;
    private static readonly IPAddress AllNodes = IPAddress.Parse("ff02::1");
    private static readonly IPAddress AllRouters = IPAddress.Parse("ff02::2");

    private readonly string interfaceName;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private Socket? socket;
    private Task? loop;
    private long sent;

    public RouterAdvertiser(string interfaceName, ILogger logger)
    {
        this.interfaceName = interfaceName;
        this.logger = logger;
        Receiving = ReceiveLoops.Pacer(logger, $"router solicitations on {interfaceName}");
    }

    /// <summary>The solicitation loop's rounds and failures.</summary>
    public RetryPacer Receiving { get; }

    public long Sent => Interlocked.Read(ref sent);

    public void Start()
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == interfaceName)
            ?? throw new InvalidOperationException($"no interface '{interfaceName}'");
        var index = nic.GetIPProperties().GetIPv6Properties().Index;
        var raw = new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.IcmpV6);
        LinuxSockets.BindToDevice(raw, interfaceName);
        // Neighbour discovery messages must arrive with hop limit 255 (RFC 4861 §6.1.2).
        raw.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, 255);
        raw.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive, 255);
        raw.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, index);
        raw.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(AllRouters, index));
        socket = raw;
        var advertisement = Build(nic.GetPhysicalAddress().GetAddressBytes());
        loop = Task.Run(() => RunAsync(raw, advertisement, stopping.Token));
    }

    private static byte[] Build(byte[] mac)
    {
        // type, code, checksum (the kernel fills it for ICMPv6 raw sockets), hop limit 64, flags 0,
        // router lifetime 0, reachable time 0, retrans timer 0, then the source link-layer address option.
        var packet = new byte[16 + (mac.Length == 6 ? 8 : 0)];
        packet[0] = RouterAdvertisement;
        packet[4] = 64;
        if (mac.Length == 6)
        {
            packet[16] = 1;
            packet[17] = 1;
            mac.CopyTo(packet, 18);
        }

        return packet;
    }

    private async Task RunAsync(Socket raw, byte[] advertisement, CancellationToken cancellationToken)
    {
        var buffer = new byte[1500];
        var destination = new IPEndPoint(AllNodes, 0);
        await SendAsync(raw, advertisement, destination, cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            using var period = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            period.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                var received = await raw.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.IPv6Any, 0), period.Token);
                if (received.ReceivedBytes < 1 || buffer[0] != RouterSolicitation)
                    continue;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Ten seconds without a solicitation: the periodic advertisement.
            }
#pragma warning disable CA1031 // the socket failed: wait and try again (a failure used to send at once and loop: a spin)
            catch (Exception e)
#pragma warning restore CA1031
            {
                if (!await BackgroundLoop.BackOffAsync(Receiving, e, cancellationToken))
                    return;
                continue;
            }

            Receiving.Succeeded();
            await SendAsync(raw, advertisement, destination, cancellationToken);
        }
    }

    private async Task SendAsync(Socket raw, byte[] advertisement, IPEndPoint destination, CancellationToken cancellationToken)
    {
        try
        {
            await raw.SendToAsync(advertisement, SocketFlags.None, destination, cancellationToken);
            Interlocked.Increment(ref sent);
        }
        catch (SocketException e)
        {
            // No link-local address yet (the link is still down or in DAD): the next round retries.
            LogSendFailed(interfaceName, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        socket?.Dispose();
        if (loop is not null)
        {
            try
            {
                await loop;
            }
            catch (ObjectDisposedException)
            {
            }
        }

        stopping.Dispose();
    }

    [LoggerMessage(1, LogLevel.Debug, "router advertisement on {Interface} not sent: {Reason}")]
    private partial void LogSendFailed(string @interface, string reason);
}
