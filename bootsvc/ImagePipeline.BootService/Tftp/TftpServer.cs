using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ImagePipeline.BootService.Files;
using ImagePipeline.BootService.Network;
using ImagePipeline.Loops;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.BootService.Tftp;

/// <summary>
/// A read-only TFTP server (RFC 1350) with options (RFC 2347 blksize/2348, tsize and timeout/2349,
/// windowsize/7440). Port 69 only takes requests; every transfer runs concurrently from a socket
/// of its own. Files come from <see cref="BootFiles"/>, so nothing outside the boot roots is
/// served; write requests are refused.
/// </summary>
public sealed partial class TftpServer : IAsyncDisposable
{
    public const int DefaultPort = 69;

    private readonly BootFiles files;
    private readonly TftpServerLimits limits;
    private readonly NetasciiCache netascii;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<Task, byte> transfers = new();
    private Socket? listener;
    private Task? loop;

    public TftpServer(BootFiles files, TftpServerLimits limits, ILogger logger)
    {
        this.files = files;
        this.limits = limits;
        netascii = new NetasciiCache(limits.NetasciiCacheBytes);
        this.logger = logger;
        Receiving = ReceiveLoops.Pacer(logger, "TFTP requests");
    }

    /// <summary>The request loop's rounds and failures.</summary>
    public RetryPacer Receiving { get; }

    public TftpStatistics Statistics { get; } = new();

    public IPEndPoint LocalEndPoint => (IPEndPoint)(listener?.LocalEndPoint ?? throw new InvalidOperationException("the TFTP server is not started"));

    /// <param name="address">the address to listen on (the boot network's, or loopback in tests)</param>
    /// <param name="port">69, or 0 for any free port</param>
    /// <param name="interfaceName">restrict to one interface (SO_BINDTODEVICE), as the DHCP server is</param>
    public void Start(IPAddress address, int port = DefaultPort, string? interfaceName = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        // A boot storm arrives at once: room for a burst while the loop catches up (capped by net.core.rmem_max).
        socket.ReceiveBufferSize = 4 * 1024 * 1024;
        // IP_PKTINFO: which local address a request arrived on, so its transfer answers from it.
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
        if (interfaceName is not null)
            LinuxSockets.BindToDevice(socket, interfaceName);
        socket.Bind(new IPEndPoint(address, port));
        listener = socket;
        loop = Task.Run(() => ReceiveLoopAsync(socket, stopping.Token));
        LogListening(LocalEndPoint);
    }

    private async Task ReceiveLoopAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveMessageFromResult received;
            try
            {
                received = await socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.ConnectionReset)
            {
                // One bad datagram (too long; or an ICMP error left by an earlier send): the next one is fine.
                Statistics.CountMalformed();
                continue;
            }
#pragma warning disable CA1031 // the socket itself failed: wait and try again, never spin, never end but at shutdown
            catch (Exception e)
#pragma warning restore CA1031
            {
                if (!await BackgroundLoop.BackOffAsync(Receiving, e, cancellationToken))
                    return;
                continue;
            }

            Receiving.Succeeded();
            var client = (IPEndPoint)received.RemoteEndPoint;
            TftpRequest request;
            try
            {
                request = TftpRequest.Parse(buffer.AsSpan(0, received.ReceivedBytes));
            }
            catch (TftpFormatException e)
            {
                Statistics.CountMalformed();
                await SendQuietlyAsync(socket, TftpPackets.Error(TftpErrorCode.IllegalOperation, e.Message), client);
                continue;
            }

            Statistics.CountRequest();
            var local = received.PacketInformation.Address;
            var transfer = Task.Run(() => ServeAsync(request, client, local, cancellationToken), CancellationToken.None);
            transfers.TryAdd(transfer, 0);
            _ = transfer.ContinueWith(t => transfers.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(TftpRequest request, IPEndPoint client, IPAddress local, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            socket.Connect(client);
            var refusal = Check(request, out var lookup);
            if (refusal is not null)
            {
                Statistics.CountRefused();
                LogRefused(client, request.FileName, refusal.Value.Message);
                await SendQuietlyAsync(socket, TftpPackets.Error(refusal.Value.Code, refusal.Value.Message), null);
                return;
            }

            var (handle, content, length) = Open(lookup!.File!, request.Mode);
            var options = TftpTransferOptions.Negotiate(request.Options, length, limits);
            LogSending(client, request.FileName, length, options.BlockSize, options.WindowSize);
            using var transfer = new TftpTransfer(socket, options, limits, Statistics, handle, content, length);
            await transfer.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SocketException)
        {
            Statistics.CountAbandoned();
            LogTransferFailed(e, client, request.FileName);
            await SendQuietlyAsync(socket, TftpPackets.Error(TftpErrorCode.NotDefined, e.Message), null);
        }
    }

    private (TftpErrorCode Code, string Message)? Check(TftpRequest request, out FileLookup? lookup)
    {
        lookup = null;
        if (request.Opcode == TftpOpcode.WriteRequest)
            return (TftpErrorCode.AccessViolation, "this server is read-only");
        if (request.Mode is not ("octet" or "netascii"))
            return (TftpErrorCode.IllegalOperation, $"transfer mode '{request.Mode}' is not served; use octet (binary)");
        lookup = files.Resolve(request.FileName);
        if (lookup.IsRefused)
            return (TftpErrorCode.AccessViolation, lookup.Refusal!);
        if (lookup.File is null)
            return (TftpErrorCode.FileNotFound, $"'{request.FileName}' not found");
        if (request.Mode == "netascii" && lookup.File.Length > limits.MaxNetasciiBytes)
            return (TftpErrorCode.IllegalOperation, $"'{request.FileName}' is too large for netascii; use octet (binary) mode");
        return null;
    }

    private (Microsoft.Win32.SafeHandles.SafeFileHandle? Handle, byte[]? Content, long Length) Open(FileInfo file, string mode)
    {
        if (mode == "netascii")
        {
            var converted = netascii.Get(file);
            return (null, converted, converted.Length);
        }

        var handle = File.OpenHandle(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read);
        return (handle, null, RandomAccess.GetLength(handle));
    }

    private static async Task SendQuietlyAsync(Socket socket, byte[] packet, IPEndPoint? to)
    {
        try
        {
            if (to is null)
                await socket.SendAsync(packet, SocketFlags.None);
            else
                await socket.SendToAsync(packet, SocketFlags.None, to);
        }
        catch (SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener?.Dispose();
        if (loop is not null)
            await loop;
        await Task.WhenAll(transfers.Keys);
        stopping.Dispose();
    }

    [LoggerMessage(1, LogLevel.Information, "TFTP listening on {EndPoint}")]
    private partial void LogListening(IPEndPoint endPoint);

    [LoggerMessage(2, LogLevel.Information, "TFTP refused '{File}' to {Client}: {Reason}")]
    private partial void LogRefused(IPEndPoint client, string file, string reason);

    [LoggerMessage(3, LogLevel.Information, "TFTP sending '{File}' ({Length} bytes, blksize {BlockSize}, windowsize {WindowSize}) to {Client}")]
    private partial void LogSending(IPEndPoint client, string file, long length, int blockSize, int windowSize);

    [LoggerMessage(4, LogLevel.Warning, "TFTP transfer of '{File}' to {Client} failed")]
    private partial void LogTransferFailed(Exception exception, IPEndPoint client, string file);
}
