using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Validation.Harness;

namespace ImagePipeline.Validation.Qemu;

/// <summary>
/// The harness's end of the validation channel (<see cref="GuestChannelProtocol"/>): a
/// virtio-serial port named <see cref="GuestChannelProtocol.PortName"/> on a QEMU chardev socket,
/// and a key made for this VM alone that QEMU hands the guest through fw_cfg. When the image's
/// agent opens the port it says hello, and from then on commands run in the guest as root without
/// a console login, so images whose root account stays locked can be checked. Lab machines stand
/// in for physical ones and get no channel, as no physical machine has one.
/// </summary>
public sealed class GuestChannel : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly string key;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource<GuestCommandReply>> pending = new();
    private readonly SemaphoreSlim oneAtATime = new(1, 1);
    private readonly Task readLoop;
    private long serial;
    private volatile GuestChannelHello? hello;
    private volatile bool closed;

    private GuestChannel(Socket socket, string key)
    {
        this.socket = socket;
        this.key = key;
        readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>The QEMU arguments that give a VM the channel: a virtio-serial port on <paramref name="socketPath"/> and the key file in fw_cfg.</summary>
    public static IReadOnlyList<string> QemuArguments(string socketPath, string keyFile) =>
    [
        "-device", "virtio-serial-pci,id=imagepipe-vser0",
        "-chardev", $"socket,id=imagepipe-channel,path={socketPath},server=on,wait=off",
        "-device", $"virtserialport,bus=imagepipe-vser0.0,chardev=imagepipe-channel,name={GuestChannelProtocol.PortName}",
        "-fw_cfg", $"name={GuestChannelProtocol.KeyFirmwareName},file={keyFile}",
    ];

    /// <summary>A new key, written for QEMU to read (only root can read the file).</summary>
    public static string CreateKey(string keyFile)
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        using var file = new FileStream(keyFile, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(Encoding.ASCII.GetBytes(key));
        return key;
    }

    public static async Task<GuestChannel> ConnectAsync(string socketPath, string key, CancellationToken cancellationToken) =>
        new(await UnixSocket.ConnectAsync(socketPath, "the validation channel", cancellationToken), key);

    /// <summary>The guest's agent has opened the port and holds this boot's key: commands can run.</summary>
    public bool IsOpen => hello is { HasKey: true } && !closed;

    /// <summary>The agent opened the port but its firmware gave it no key (it refuses every request).</summary>
    public bool OpenWithoutKey => hello is { HasKey: false };

    /// <summary>Runs <paramref name="command"/> with <c>/bin/sh -c</c> in the guest; stdout and stderr together.</summary>
    public async Task<(int ExitCode, string Output)> ExecuteAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (hello is null)
            throw new HarnessException("the guest's agent has not opened the validation channel");
        await oneAtATime.WaitAsync(cancellationToken);
        var id = Interlocked.Increment(ref serial);
        var answer = new TaskCompletionSource<GuestCommandReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = answer;
        try
        {
            if (closed)
                throw new CheckFailedException($"the validation channel is closed (the machine powered off or rebooted); `{command}` was not sent");
            var seconds = (int)Math.Ceiling(timeout.TotalSeconds);
            var line = JsonSerializer.Serialize(new GuestCommandRequest(id, key, command, seconds), ProtocolJson.Default.GuestCommandRequest) + "\n";
            try
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(line), SocketFlags.None, cancellationToken);
            }
            catch (SocketException e)
            {
                throw new HarnessException($"the validation channel connection is lost: {e.Message}", e);
            }

            GuestCommandReply reply;
            try
            {
                // The guest kills the command at the timeout and still answers: wait a little longer for that answer.
                reply = await answer.Task.WaitAsync(timeout + TimeSpan.FromSeconds(15), cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new CheckFailedException($"no answer on the validation channel within {timeout.TotalSeconds:0} s to `{command}` (the guest hung or rebooted)");
            }

            if (reply.Refused is { } refused)
                throw new HarnessException($"the guest refused `{command}` on the validation channel: {refused}");
            if (reply.TimedOut)
                throw new CheckFailedException($"`{command}` did not finish within {timeout.TotalSeconds:0} s and was killed; output:\n{reply.Output}");
            return (reply.ExitCode, reply.Output);
        }
        finally
        {
            pending.TryRemove(id, out _);
            oneAtATime.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[65536];
        var line = new MemoryStream();
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token)) > 0)
            {
                var start = 0;
                for (var newline = Array.IndexOf(buffer, (byte)'\n', 0, read); newline >= 0; newline = Array.IndexOf(buffer, (byte)'\n', start, read - start))
                {
                    line.Write(buffer, start, newline - start);
                    Receive(Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length));
                    line.SetLength(0);
                    start = newline + 1;
                }

                line.Write(buffer, start, read - start);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            // QEMU closes its end when it exits: a command the guest never answered will not be answered.
            closed = true;
            foreach (var (_, waiting) in pending)
                waiting.TrySetException(new CheckFailedException("the validation channel closed before the guest answered (the machine powered off or rebooted)"));
        }
    }

    /// <summary>A line from the guest: its hello (again after its agent restarted) or a reply.</summary>
    private void Receive(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("hello", out _))
            {
                hello = document.RootElement.Deserialize(ProtocolJson.Default.GuestChannelHello);
                return;
            }

            if (document.RootElement.Deserialize(ProtocolJson.Default.GuestCommandReply) is { } reply && pending.TryGetValue(reply.Id, out var waiting))
                waiting.TrySetResult(reply);
        }
        catch (JsonException)
        {
            // Not ours (nothing else writes to this port): ignored.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        socket.Dispose();
        await readLoop;
        stop.Dispose();
        oneAtATime.Dispose();
    }
}
