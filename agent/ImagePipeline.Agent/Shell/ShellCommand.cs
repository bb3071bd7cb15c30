using System.Diagnostics;
using System.Text;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Shell;

/// <summary>
/// Runs one shell command for the agent — a request on the validation channel, a recipe's
/// <c>command:</c> health check: <c>/bin/sh -c</c> as the agent's user (root), with
/// stderr joined to stdout in the order written, stdin closed, and the whole process tree killed
/// at the timeout. Output beyond <see cref="GuestChannelProtocol.MaxOutputBytes"/> is read and
/// dropped, so a chatty command neither blocks nor fills the agent's memory.
/// </summary>
public static class ShellCommand
{
    public static async Task<(int ExitCode, string Output, bool TimedOut)> RunAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec 2>&1\n" + command])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            WorkingDirectory = "/",
        };
        if (!start.Environment.TryGetValue("PATH", out var path) || string.IsNullOrEmpty(path))
            start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        start.Environment["HOME"] = "/root";
        using var process = Process.Start(start) ?? throw new IOException("/bin/sh did not start");
        process.StandardInput.Close();

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        using var stopReading = new CancellationTokenSource();
        var output = new Output();
        var reading = output.DrainAsync(process.StandardOutput.BaseStream, stopReading.Token);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(limit.Token);
            // The shell has exited; a daemon it started may hold the output open: take what came.
            await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(2), cancellationToken));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
        }

        await stopReading.CancelAsync();
        var (text, dropped) = output.Take();
        if (dropped > 0)
            text += $"\n[imagepipeline-agent: {dropped} more bytes of output were dropped]\n";
        if (timedOut)
            text += $"\n[imagepipeline-agent: killed after {timeout.TotalSeconds:0} s]\n";
        return (timedOut ? 124 : process.ExitCode, text, timedOut);
    }

    /// <summary>The command's output as it arrives: the first <see cref="GuestChannelProtocol.MaxOutputBytes"/> kept, the rest counted.</summary>
    private sealed class Output
    {
        private readonly Lock gate = new();
        private readonly byte[] kept = new byte[GuestChannelProtocol.MaxOutputBytes];
        private int length;
        private long dropped;

        public async Task DrainAsync(Stream stream, CancellationToken cancellationToken)
        {
            var buffer = new byte[16384];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    lock (gate)
                    {
                        var keep = Math.Min(read, kept.Length - length);
                        buffer.AsSpan(0, keep).CopyTo(kept.AsSpan(length));
                        length += keep;
                        dropped += read - keep;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // Stopped: what came so far is the output.
            }
        }

        public (string Text, long Dropped) Take()
        {
            lock (gate)
                return (Encoding.UTF8.GetString(kept, 0, length), dropped);
        }
    }
}
