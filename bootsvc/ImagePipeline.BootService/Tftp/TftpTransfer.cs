using System.Net;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace ImagePipeline.BootService.Tftp;

/// <summary>
/// Sends one file to one client from its own socket (the server's transfer id, RFC 1350 §4),
/// connected to the client's so the kernel drops datagrams from any other transfer id. Blocks go
/// out a window at a time (RFC 7440); an ACK for block n acknowledges every block up to n, and
/// the next window starts after it. A duplicate ACK is ignored (the Sorcerer's Apprentice fix,
/// RFC 1123 §4.2.3.1): only a timeout resends. Block numbers wrap from 65535 to 0.
/// </summary>
internal sealed class TftpTransfer : IDisposable
{
    private readonly Socket socket;
    private readonly TftpTransferOptions options;
    private readonly TftpServerLimits limits;
    private readonly TftpStatistics statistics;
    private readonly SafeFileHandle? file;
    private readonly byte[]? content;
    private readonly long length;
    /// <summary>One DATA packet: each is handed to the kernel before the next is read, so a window needs no more (a transfer holds at most 64 KiB, whatever the window a client asks for).</summary>
    private readonly byte[] packet;
    private readonly byte[] receiveBuffer = new byte[516];
    private CancellationTokenSource? timer;

    /// <param name="file">the file to read (octet mode)</param>
    /// <param name="content">the converted bytes (netascii mode), instead of a file</param>
    public TftpTransfer(Socket socket, TftpTransferOptions options, TftpServerLimits limits, TftpStatistics statistics, SafeFileHandle? file, byte[]? content, long length)
    {
        this.socket = socket;
        this.options = options;
        this.limits = limits;
        this.statistics = statistics;
        this.file = file;
        this.content = content;
        this.length = length;
        packet = new byte[options.BlockSize + TftpPackets.HeaderLength];
    }

    /// <summary>The number of DATA blocks: the last one is shorter than a block, possibly empty.</summary>
    private long BlockCount => length / options.BlockSize + 1;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.Acknowledged.Count > 0 && !await NegotiateAsync(cancellationToken))
            return;
        long acked = 0;
        var retries = 0;
        while (acked < BlockCount)
        {
            var last = Math.Min(acked + options.WindowSize, BlockCount);
            await SendWindowAsync(acked + 1, last, cancellationToken);
            var (outcome, block) = await WaitForAckAsync(acked, last, cancellationToken);
            switch (outcome)
            {
                case AckOutcome.Timeout when ++retries > limits.MaxRetries:
                    await TrySendAsync(TftpPackets.Error(TftpErrorCode.NotDefined, $"no acknowledgement after {limits.MaxRetries} retransmissions"));
                    statistics.CountAbandoned();
                    return;
                case AckOutcome.Timeout:
                    statistics.CountRetransmission();
                    continue;
                case AckOutcome.ClientError:
                    statistics.CountAbandoned();
                    return;
                case AckOutcome.Acked:
                    acked = block;
                    retries = 0;
                    break;
            }
        }

        statistics.CountCompleted(length);
    }

    /// <summary>OACK, then ACK 0 (RFC 2347 §3); an ERROR means the client declined the options.</summary>
    private async Task<bool> NegotiateAsync(CancellationToken cancellationToken)
    {
        var oack = TftpPackets.OptionAck(options.Acknowledged);
        for (var attempt = 0; attempt <= limits.MaxRetries; attempt++)
        {
            await socket.SendAsync(oack, SocketFlags.None, cancellationToken);
            switch ((await WaitForAckAsync(0, 0, cancellationToken)).Outcome)
            {
                case AckOutcome.Acked:
                    return true;
                case AckOutcome.ClientError:
                    statistics.CountAbandoned();
                    return false;
            }
        }

        statistics.CountAbandoned();
        return false;
    }

    private async Task SendWindowAsync(long first, long last, CancellationToken cancellationToken)
    {
        for (var block = first; block <= last; block++)
        {
            var offset = (block - 1) * options.BlockSize;
            var size = (int)Math.Min(options.BlockSize, Math.Max(0, length - offset));
            var data = packet.AsMemory(0, TftpPackets.HeaderLength + size);
            TftpPackets.WriteDataHeader(data.Span, (ushort)block);
            if (size > 0)
                Read(offset, data.Span[TftpPackets.HeaderLength..]);
            await socket.SendAsync(data, SocketFlags.None, cancellationToken);
        }
    }

    private void Read(long offset, Span<byte> destination)
    {
        if (content is not null)
        {
            content.AsSpan((int)offset, destination.Length).CopyTo(destination);
            return;
        }

        var read = 0;
        while (read < destination.Length)
        {
            var n = RandomAccess.Read(file!, destination[read..], offset + read);
            if (n == 0)
                throw new IOException("the file became shorter while it was being sent");
            read += n;
        }
    }

    /// <summary>Waits for an ACK of a block in (<paramref name="acked"/>, <paramref name="last"/>]; block 0 during negotiation.</summary>
    private async Task<(AckOutcome Outcome, long Block)> WaitForAckAsync(long acked, long last, CancellationToken cancellationToken)
    {
        // One timer per transfer, rearmed for each window; replaced only after it fired.
        if (timer is null || !timer.TryReset())
        {
            timer?.Dispose();
            timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        }

        timer.CancelAfter(options.Timeout);
        var timeout = timer;
        while (true)
        {
            int received;
            try
            {
                received = await socket.ReceiveAsync(receiveBuffer, SocketFlags.None, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (AckOutcome.Timeout, 0);
            }
            catch (SocketException)
            {
                // ICMP port unreachable from a client that went away surfaces as ConnectionRefused.
                return (AckOutcome.ClientError, 0);
            }

            var packet = receiveBuffer.AsSpan(0, received);
            switch (TftpPackets.OpcodeOf(packet))
            {
                case TftpOpcode.Error:
                    return (AckOutcome.ClientError, 0);
                case TftpOpcode.Ack when received >= 4:
                    var number = TftpPackets.BlockOf(packet);
                    // The absolute block whose low 16 bits match, inside the window just sent.
                    for (var block = last; block >= acked && block > last - 65536; block--)
                    {
                        if ((ushort)block == number)
                        {
                            if (block > acked || (acked == 0 && last == 0))
                                return (AckOutcome.Acked, block);
                            break;
                        }
                    }

                    break;
            }
        }
    }

    private async Task TrySendAsync(byte[] packet)
    {
        try
        {
            await socket.SendAsync(packet, SocketFlags.None);
        }
        catch (SocketException)
        {
        }
    }

    public void Dispose()
    {
        timer?.Dispose();
        socket.Dispose();
        file?.Dispose();
    }

    private enum AckOutcome
    {
        Acked,
        Timeout,
        ClientError,
    }
}
