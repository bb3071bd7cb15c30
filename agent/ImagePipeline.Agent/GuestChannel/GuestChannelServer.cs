using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.GuestChannel;

/// <summary>
/// The agent's side of the validation channel (<see cref="GuestChannelProtocol"/>) over any
/// stream: says hello, then answers requests one at a time. A request whose key is not this
/// boot's key — or any request when the firmware gave no key — is refused, not run.
/// </summary>
public sealed class GuestChannelServer(Stream port, string? key, Action<string> say)
{
    /// <summary>Longest request line accepted (a command plus the envelope).</summary>
    private const int MaxLineBytes = 256 * 1024;

    public Func<string, TimeSpan, CancellationToken, Task<(int ExitCode, string Output, bool TimedOut)>> Run { get; init; } = Shell.ShellCommand.RunAsync;

    /// <summary>Serves until the stream ends (the host side closed) or <paramref name="cancellationToken"/> fires.</summary>
    public async Task ServeAsync(CancellationToken cancellationToken)
    {
        await WriteAsync(JsonSerializer.Serialize(new GuestChannelHello(GuestChannelProtocol.Version, key is not null), ProtocolJson.Default.GuestChannelHello), cancellationToken);
        using var reader = new LineReader(port, MaxLineBytes);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
                continue;
            var reply = await AnswerAsync(line, cancellationToken);
            await WriteAsync(JsonSerializer.Serialize(reply, ProtocolJson.Default.GuestCommandReply), cancellationToken);
        }
    }

    private async Task<GuestCommandReply> AnswerAsync(string line, CancellationToken cancellationToken)
    {
        GuestCommandRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(line, ProtocolJson.Default.GuestCommandRequest);
        }
        catch (JsonException e)
        {
            return new GuestCommandReply(0, -1, "", $"not a request: {e.Message}");
        }

        if (request is null)
            return new GuestCommandReply(0, -1, "", "not a request: null");
        if (key is null)
            return Refuse(request, "this boot has no validation key in its firmware: the channel answers only the validation harness");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(request.Key ?? ""), Encoding.UTF8.GetBytes(key)))
            return Refuse(request, "the request does not carry this boot's validation key");

        var timeout = TimeSpan.FromSeconds(Math.Clamp(request.TimeoutSeconds, 1, 3600));
        var (exitCode, output, timedOut) = await Run(request.Command ?? "", timeout, cancellationToken);
        return new GuestCommandReply(request.Id, exitCode, output, TimedOut: timedOut);
    }

    private GuestCommandReply Refuse(GuestCommandRequest request, string reason)
    {
        say($"refused request {request.Id}: {reason}");
        return new GuestCommandReply(request.Id, -1, "", reason);
    }

    private async Task WriteAsync(string json, CancellationToken cancellationToken)
    {
        await port.WriteAsync(Encoding.UTF8.GetBytes(json + "\n"), cancellationToken);
        await port.FlushAsync(cancellationToken);
    }

    /// <summary>Lines of UTF-8 from a stream; a line longer than the limit is an error (the harness never sends one).</summary>
    private sealed class LineReader(Stream stream, int maxLineBytes) : IDisposable
    {
        private readonly byte[] buffer = new byte[65536];
        private readonly MemoryStream line = new();
        private int start;
        private int end;

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (newline >= 0)
                {
                    line.Write(buffer, start, newline - start);
                    start = newline + 1;
                    var text = Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length).TrimEnd('\r');
                    line.SetLength(0);
                    return text;
                }

                line.Write(buffer, start, end - start);
                if (line.Length > maxLineBytes)
                    throw new InvalidDataException($"a request line longer than {maxLineBytes} bytes");
                start = 0;
                end = await stream.ReadAsync(buffer, cancellationToken);
                if (end == 0)
                    return null;
            }
        }

        public void Dispose() => line.Dispose();
    }
}
