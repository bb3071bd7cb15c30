using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ImagePipeline.BootService.Dhcp;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// The DHCP side of many simulated clients sharing one socket on port 68: requests go out as
/// broadcasts, replies (broadcast back by the server) are routed to their client by transaction
/// id. Each exchange retransmits after 2 s, as PXE ROMs do, up to four times.
/// </summary>
internal sealed class DhcpExchange : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly IPEndPoint server;
    private readonly ConcurrentDictionary<(uint Xid, DhcpMessageType Type), TaskCompletionSource<DhcpMessage>> waiting = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;

    public DhcpExchange(Socket socket, IPEndPoint server)
    {
        this.socket = socket;
        this.server = server;
        socket.EnableBroadcast = true;
        socket.ReceiveBufferSize = 4 * 1024 * 1024;
        socket.Bind(new IPEndPoint(IPAddress.Any, DhcpServer.ClientPort));
        loop = Task.Run(ReceiveAsync);
    }

    private long retransmissions;

    /// <summary>Counted from every client's task at once.</summary>
    public long Retransmissions => Interlocked.Read(ref retransmissions);

    public async Task<DhcpMessage> ExchangeAsync(DhcpMessage request, DhcpMessageType expected, CancellationToken cancellationToken)
    {
        var key = (request.TransactionId, expected);
        var reply = new TaskCompletionSource<DhcpMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting[key] = reply;
        try
        {
            var bytes = request.ToBytes();
            for (var attempt = 1; attempt <= 4; attempt++)
            {
                await socket.SendToAsync(bytes, SocketFlags.None, server, cancellationToken);
                var done = await Task.WhenAny(reply.Task, Task.Delay(TimeSpan.FromSeconds(2), cancellationToken));
                if (done == reply.Task)
                    return await reply.Task;
                Interlocked.Increment(ref retransmissions);
            }

            throw new TimeoutException($"no DHCP {expected} for transaction {request.TransactionId:x8} after 4 attempts");
        }
        finally
        {
            waiting.TryRemove(key, out _);
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[2048];
        while (!stopping.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await socket.ReceiveAsync(buffer, SocketFlags.None, stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            try
            {
                var message = DhcpMessage.Parse(buffer.AsSpan(0, received));
                if (message.Op == DhcpMessage.BootReply && message.MessageType is { } type
                    && waiting.TryGetValue((message.TransactionId, type), out var reply))
                    reply.TrySetResult(message);
            }
            catch (DhcpFormatException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        socket.Dispose();
        await loop;
        stopping.Dispose();
    }
}
