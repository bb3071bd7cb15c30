using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImagePipeline.Validation.Harness;

namespace ImagePipeline.Validation.Qemu;

/// <summary>
/// A QEMU Machine Protocol client on a unix socket (docs/interop/qmp-spec). Commands carry an
/// "id" so their replies are matched whatever asynchronous events arrive in between; events are
/// kept for <see cref="WaitForEventAsync"/>. A lost connection fails every waiter with a
/// <see cref="HarnessException"/>.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonNode?>> pending = new();
    private readonly List<JsonObject> events = [];
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly CancellationTokenSource stop = new();
    private readonly Task readLoop;
    private readonly TaskCompletionSource greeting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long nextId;
    private Exception? failure;

    private QmpClient(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: false);
        readLoop = Task.Run(ReadLoopAsync);
    }

    public static async Task<QmpClient> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = await UnixSocket.ConnectAsync(path, "QMP", cancellationToken);

        var client = new QmpClient(socket);
        await client.greeting.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        await client.ExecuteAsync("qmp_capabilities", null, cancellationToken);
        return client;
    }

    /// <summary>Runs a QMP command; its "return" value, or a <see cref="HarnessException"/> naming QMP's error.</summary>
    public async Task<JsonNode?> ExecuteAsync(string command, object? arguments, CancellationToken cancellationToken)
    {
        if (failure is not null)
            throw new HarnessException($"QMP connection lost before '{command}': {failure.Message}", failure);
        var id = Interlocked.Increment(ref nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var reply = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = reply;
        var message = new JsonObject { ["execute"] = command, ["id"] = id };
        if (arguments is not null)
            message["arguments"] = JsonSerializer.SerializeToNode(arguments);
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString() + "\n");
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            await stream.WriteAsync(bytes, cancellationToken);
        }
        catch (IOException e)
        {
            pending.TryRemove(id, out _);
            throw new HarnessException($"QMP connection lost while sending '{command}': {e.Message}", e);
        }
        finally
        {
            writeLock.Release();
        }

        return await reply.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Waits for an asynchronous event such as SHUTDOWN or RESET (already received ones count).</summary>
    public async Task<JsonObject> WaitForEventAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        JsonObject? found = null;
        await Retry.UntilAsync($"QMP event {name}", _ =>
        {
            lock (events)
                found = events.FirstOrDefault(e => (string?)e["event"] == name);
            return Task.FromResult(found is null ? $"no {name} event yet" : null);
        }, timeout, cancellationToken: cancellationToken);
        return found!;
    }

    /// <summary>The most recent event of that name received on this connection, or null.</summary>
    public JsonObject? LastEvent(string name)
    {
        lock (events)
            return events.LastOrDefault(e => (string?)e["event"] == name);
    }

    /// <summary>
    /// Completes once the connection has ended (QEMU exited) and every event sent before that is
    /// kept: the SHUTDOWN that says why QEMU stopped is read before anyone asks. Gives up after
    /// <paramref name="limit"/>.
    /// </summary>
    public async Task WaitForEndAsync(TimeSpan limit)
    {
        try
        {
            await readLoop.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
        }
    }

    private async Task ReadLoopAsync()
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        try
        {
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                if (line.Length == 0 || JsonNode.Parse(line) is not JsonObject message)
                    continue;
                if (message.ContainsKey("QMP"))
                {
                    greeting.TrySetResult();
                }
                else if (message.ContainsKey("event"))
                {
                    lock (events)
                        events.Add(message);
                }
                else if (message["id"]?.GetValue<string>() is { } id && pending.TryRemove(id, out var reply))
                {
                    if (message["error"] is JsonObject error)
                        reply.TrySetException(new HarnessException($"QMP error {error["class"]}: {error["desc"]}"));
                    else
                        reply.TrySetResult(message["return"]);
                }
            }

            Fail(new IOException("QEMU closed the QMP socket"));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or JsonException or ObjectDisposedException)
        {
            Fail(e);
        }
    }

    private void Fail(Exception e)
    {
        failure = e;
        greeting.TrySetException(new HarnessException($"QMP connection lost: {e.Message}", e));
        foreach (var id in pending.Keys)
        {
            if (pending.TryRemove(id, out var reply))
                reply.TrySetException(new HarnessException($"QMP connection lost: {e.Message}", e));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        socket.Dispose();
        try
        {
            await readLoop;
        }
        catch (OperationCanceledException)
        {
        }

        await stream.DisposeAsync();
        stop.Dispose();
        writeLock.Dispose();
    }
}
