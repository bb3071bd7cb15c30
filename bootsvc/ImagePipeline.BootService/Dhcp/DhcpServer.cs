using System.Net;
using System.Net.Sockets;
using ImagePipeline.BootService.Network;
using ImagePipeline.Loops;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>
/// The DHCP sockets: port 67 on one interface, and in proxy mode port 4011 too. Each datagram is
/// parsed, classified and handed to the responder; anything malformed is dropped and counted, and
/// no datagram can stop the loop.
/// </summary>
public sealed partial class DhcpServer : IAsyncDisposable
{
    public const int ServerPort = 67;
    public const int ClientPort = 68;
    /// <summary>PXE 2.1: proxyDHCP requests from clients that already have an address.</summary>
    public const int PxePort = 4011;

    private readonly string interfaceName;
    private readonly IDhcpResponder responder;
    private readonly IBootSightings? sightings;
    private readonly ILogger logger;
    private readonly List<Socket> sockets = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> loops = [];

    public DhcpServer(string interfaceName, IDhcpResponder responder, IBootSightings? sightings, ILogger logger)
    {
        this.interfaceName = interfaceName;
        this.responder = responder;
        this.sightings = sightings;
        this.logger = logger;
        Receiving = ReceiveLoops.Pacer(logger, $"DHCP on {interfaceName}");
        Handling = ReceiveLoops.Pacer(logger, $"DHCP requests on {interfaceName}");
    }

    /// <summary>Requests answered and failed (a store error): their errors are logged once per kind.</summary>
    public RetryPacer Handling { get; }

    /// <summary>The receive loops' rounds and failures (one pacer for the ports of one interface).</summary>
    public RetryPacer Receiving { get; }

    public DhcpStatistics Statistics { get; } = new();

    /// <param name="pxePort">also listen on 4011 (proxy mode)</param>
    /// <param name="serverPort">67 unless a test or benchmark runs unprivileged beside another server</param>
    public void Start(bool pxePort, int serverPort = ServerPort)
    {
        var ports = pxePort ? new[] { serverPort, PxePort } : [serverPort];
        foreach (var port in ports)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.EnableBroadcast = true;
            // A boot storm arrives at once: room for a burst while the loop catches up (capped by net.core.rmem_max).
            socket.ReceiveBufferSize = 4 * 1024 * 1024;
            LinuxSockets.BindToDevice(socket, interfaceName);
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
            sockets.Add(socket);
            loops.Add(Task.Run(() => ReceiveLoopAsync(socket, port == PxePort, stopping.Token)));
        }

        LogListening(interfaceName, string.Join(", ", ports));
    }

    private async Task ReceiveLoopAsync(Socket socket, bool onPxePort, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.ConnectionReset)
            {
                Statistics.CountMalformed();
                continue;
            }
#pragma warning disable CA1031 // the socket itself failed (the interface went away, say): wait and try again, never end but at shutdown
            catch (Exception e)
#pragma warning restore CA1031
            {
                if (!await BackgroundLoop.BackOffAsync(Receiving, e, cancellationToken))
                    return;
                continue;
            }

            Receiving.Succeeded();
            Statistics.CountReceived();
            DhcpMessage request;
            try
            {
                request = DhcpMessage.Parse(buffer.AsSpan(0, received.ReceivedBytes));
            }
            catch (DhcpFormatException e)
            {
                Statistics.CountMalformed();
                LogMalformed(received.RemoteEndPoint, e.Message);
                continue;
            }

            try
            {
                await HandleAsync(socket, request, (IPEndPoint)received.RemoteEndPoint, onPxePort, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // one client's failure (a store error) must not stop the server: counted and logged, the client retries.
            catch (Exception e)
#pragma warning restore CA1031
            {
                // Logged once however many clients keep asking while the store is away (a boot storm
                // retries every few seconds); the loop itself goes on at once: other requests may not need the store.
                Statistics.CountFailed();
                LogHandlingFailed(e, MacAddress.Format(request.ClientMac));
                _ = Handling.Failed(e);
                continue;
            }

            Handling.Succeeded();
        }
    }

    private async Task HandleAsync(Socket socket, DhcpMessage request, IPEndPoint from, bool onPxePort, CancellationToken cancellationToken)
    {
        var client = BootClientClassifier.Classify(request);
        var reply = await responder.RespondAsync(request, client, onPxePort, cancellationToken);
        var mac = MacAddress.Format(request.ClientMac);
        if (reply is null)
        {
            Statistics.CountIgnored();
            return;
        }

        var destination = Destination(request, reply, from, onPxePort);
        await socket.SendToAsync(reply.ToBytes(), SocketFlags.None, destination, cancellationToken);
        Statistics.CountReplied();
        LogReplied(reply.MessageType, mac, client.Kind, reply.YourAddress, reply.Options.GetText(DhcpOptionCode.BootFileName) ?? "-");
        // Every answered client, network-booting or not (the deploy environment's own DHCP), keeps its machine's address current.
        if (sightings is not null)
        {
            var address = reply.YourAddress.Equals(IPAddress.Any) ? null : reply.YourAddress;
            await sightings.RecordAsync(mac, address, client, reply.MessageType == DhcpMessageType.Ack, cancellationToken);
        }
    }

    /// <summary>RFC 2131 §4.1: through the relay if any; a client with an address gets unicast; otherwise broadcast (we do not forge ARP entries to unicast to yiaddr).</summary>
    private static IPEndPoint Destination(DhcpMessage request, DhcpMessage reply, IPEndPoint from, bool onPxePort)
    {
        if (onPxePort)
            return from;
        if (!request.RelayAgentAddress.Equals(IPAddress.Any))
            return new IPEndPoint(request.RelayAgentAddress, ServerPort);
        if (reply.MessageType != DhcpMessageType.Nak && !request.ClientAddress.Equals(IPAddress.Any))
            return new IPEndPoint(request.ClientAddress, ClientPort);
        return new IPEndPoint(IPAddress.Broadcast, ClientPort);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        foreach (var socket in sockets)
            socket.Dispose();
        try
        {
            await Task.WhenAll(loops);
        }
        catch (ObjectDisposedException)
        {
        }

        stopping.Dispose();
    }

    [LoggerMessage(1, LogLevel.Information, "DHCP listening on {Interface} port {Ports}")]
    private partial void LogListening(string @interface, string ports);

    [LoggerMessage(2, LogLevel.Debug, "DHCP dropped a malformed datagram from {From}: {Reason}")]
    private partial void LogMalformed(EndPoint from, string reason);

    [LoggerMessage(3, LogLevel.Information, "DHCP {Type} to {Mac} ({Kind}): address {Address}, boot file {BootFile}")]
    private partial void LogReplied(DhcpMessageType? type, string mac, BootClientKind kind, IPAddress address, string bootFile);

    [LoggerMessage(4, LogLevel.Debug, "DHCP request from {Mac} failed; the client will retry")]
    private partial void LogHandlingFailed(Exception exception, string mac);
}
