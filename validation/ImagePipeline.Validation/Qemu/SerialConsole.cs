using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using ImagePipeline.Validation.Harness;

namespace ImagePipeline.Validation.Qemu;

/// <summary>
/// The VM's serial console through QEMU's chardev socket: everything the guest prints is kept
/// (QEMU also writes it to the log file), and text can be typed. Positions let a caller look only
/// at what appeared after a point, so old output is never mistaken for a new answer.
/// </summary>
public sealed class SerialConsole : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly StringBuilder text = new();
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task readLoop;

    private SerialConsole(Socket socket, string priorText)
    {
        this.socket = socket;
        text.Append(priorText);
        readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Set when the connection ends: QEMU exited or closed the socket.</summary>
    public bool Closed { get; private set; }

    /// <param name="path">QEMU's chardev socket</param>
    /// <param name="previous">the console of this VM's previous power cycle: its text is kept, so positions stay valid across a power cut</param>
    public static async Task<SerialConsole> ConnectAsync(string path, CancellationToken cancellationToken, SerialConsole? previous = null)
    {
        var socket = await UnixSocket.ConnectAsync(path, "the serial console", cancellationToken);
        return new SerialConsole(socket, previous?.Text ?? "");
    }

    public string Text
    {
        get
        {
            lock (gate)
                return text.ToString();
        }
    }

    /// <summary>The current end of the output: pass it as <c>since</c> to look only at what comes next.</summary>
    public int Position
    {
        get
        {
            lock (gate)
                return text.Length;
        }
    }

    public string TextSince(int position)
    {
        lock (gate)
            return position >= text.Length ? "" : text.ToString(position, text.Length - position);
    }

    public IReadOnlyList<string> LastLines(int count)
    {
        var lines = Text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        return lines.Skip(Math.Max(0, lines.Length - count)).ToList();
    }

    /// <param name="withoutKernelLog">match what programs printed, with the kernel's log records taken out (<see cref="KernelLogRecords"/>)</param>
    public Match? Find(Regex pattern, int since = 0, bool withoutKernelLog = false)
    {
        var text = TextSince(since);
        var match = pattern.Match(withoutKernelLog ? KernelLogRecords.Remove(text) : text);
        return match.Success ? match : null;
    }

    /// <summary>
    /// Completes once the connection has ended (QEMU exited) and everything sent before that is in
    /// <see cref="Text"/>: a guest's last lines before a reboot are read, not cut off by the next
    /// power-on. Gives up after <paramref name="limit"/>.
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

    public async Task WriteAsync(string input, CancellationToken cancellationToken)
    {
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(input), SocketFlags.None, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new HarnessException($"the serial console connection is lost: {e.Message}", e);
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[8192];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token)) > 0)
            {
                var count = decoder.GetChars(buffer, 0, read, chars, 0);
                lock (gate)
                    text.Append(chars, 0, count);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        Closed = true;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        socket.Dispose();
        await readLoop;
        stop.Dispose();
    }
}
