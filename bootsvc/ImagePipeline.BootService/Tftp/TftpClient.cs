using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ImagePipeline.BootService.Tftp;

/// <summary>
/// A TFTP reader with options, for benchmarks and simulated boot clients (Debian's clients do not
/// ask for windowsize). Receives in windows (RFC 7440 §4): it ACKs the last block of each window,
/// or the last in-order block as soon as one is missing, and re-ACKs on timeout.
/// </summary>
public static class TftpClient
{
    /// <param name="blockSize">ask for blksize, or null for the RFC 1350 512 bytes</param>
    /// <param name="windowSize">ask for windowsize, or null for lockstep</param>
    /// <returns>bytes received and the options the server acknowledged</returns>
    public static async Task<TftpDownload> DownloadAsync(IPEndPoint server, string fileName, Stream destination, int? blockSize = null,
        int? windowSize = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var wait = timeout ?? TimeSpan.FromSeconds(1);
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["tsize"] = "0" };
        if (blockSize is { } b)
            options["blksize"] = b.ToString(CultureInfo.InvariantCulture);
        if (windowSize is { } w)
            options["windowsize"] = w.ToString(CultureInfo.InvariantCulture);
        var request = new TftpRequest(TftpOpcode.ReadRequest, fileName, "octet", options).ToBytes();

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(server.Address.Equals(IPAddress.Loopback) ? IPAddress.Loopback : IPAddress.Any, 0));
        socket.ReceiveBufferSize = 4 * 1024 * 1024;
        var buffer = new byte[TftpTransferOptions.MaximumBlockSize + TftpPackets.HeaderLength];
        EndPoint peer = server;
        var negotiatedBlock = TftpTransferOptions.DefaultBlockSize;
        var negotiatedWindow = 1;
        Dictionary<string, string> acknowledged = new(StringComparer.OrdinalIgnoreCase);
        long expected = 1;
        var sinceAck = 0;
        long bytes = 0;
        byte[] lastSent = request;
        EndPoint lastTarget = server;
        await socket.SendToAsync(request, SocketFlags.None, server, cancellationToken);
        var timeouts = 0;
        var started = false;
        while (true)
        {
            SocketReceiveFromResult received;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(wait);
                try
                {
                    received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), deadline.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    if (++timeouts > 5)
                        throw new TimeoutException($"TFTP server {server} stopped answering for '{fileName}' after {bytes} bytes");
                    await socket.SendToAsync(lastSent, SocketFlags.None, lastTarget, cancellationToken);
                    continue;
                }
            }

            timeouts = 0;
            var packet = buffer.AsSpan(0, received.ReceivedBytes);
            if (started && !received.RemoteEndPoint.Equals(peer))
                continue;
            if (!started)
            {
                peer = received.RemoteEndPoint;
                started = true;
            }

            switch (TftpPackets.OpcodeOf(packet))
            {
                case TftpOpcode.Error:
                    var (code, message) = TftpPackets.ReadError(packet);
                    throw new TftpClientException(code, message);
                case TftpOpcode.OptionAck when expected == 1:
                    acknowledged = TftpPackets.ReadOptionAck(packet);
                    if (acknowledged.TryGetValue("blksize", out var bs))
                        negotiatedBlock = int.Parse(bs, CultureInfo.InvariantCulture);
                    if (acknowledged.TryGetValue("windowsize", out var ws))
                        negotiatedWindow = int.Parse(ws, CultureInfo.InvariantCulture);
                    lastSent = TftpPackets.Ack(0);
                    lastTarget = peer;
                    await socket.SendToAsync(lastSent, SocketFlags.None, peer, cancellationToken);
                    break;
                case TftpOpcode.Data when packet.Length >= 4:
                    var block = TftpPackets.BlockOf(packet);
                    if (block != (ushort)expected)
                    {
                        // Out of order or a retransmission: say where we are, at most once per window.
                        if (block != (ushort)(expected - 1) && sinceAck > 0)
                        {
                            lastSent = TftpPackets.Ack((ushort)(expected - 1));
                            await socket.SendToAsync(lastSent, SocketFlags.None, peer, cancellationToken);
                            sinceAck = 0;
                        }

                        break;
                    }

                    var data = packet[TftpPackets.HeaderLength..];
                    destination.Write(data);
                    bytes += data.Length;
                    expected++;
                    sinceAck++;
                    var final = data.Length < negotiatedBlock;
                    if (final || sinceAck >= negotiatedWindow)
                    {
                        lastSent = TftpPackets.Ack((ushort)(expected - 1));
                        lastTarget = peer;
                        await socket.SendToAsync(lastSent, SocketFlags.None, peer, cancellationToken);
                        sinceAck = 0;
                    }

                    if (final)
                        return new TftpDownload(bytes, acknowledged);
                    break;
            }
        }
    }
}
