using System.Text;
using CliWrap;

namespace ImagePipeline.Validation.Harness;

/// <summary>
/// A long-running child process (a boot service in a lab, a server under test) run through CliWrap:
/// everything it prints is kept (and appended to a log file when one is given); starting returns
/// once it prints its ready line, and fails with what it printed if it exits first; disposal stops
/// it (cancellation kills it) and waits until it has ended.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private readonly CancellationTokenSource stop = new();
    private readonly StreamWriter? log;
    private CommandTask<CommandResult>? process;

    private ChildProcess(string? logPath) =>
        log = logPath is null ? null : new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };

    public int ProcessId => process?.ProcessId ?? throw new InvalidOperationException("not started");

    /// <summary>Everything it printed so far, standard output and error interleaved as they came.</summary>
    public string Output
    {
        get
        {
            lock (output)
                return output.ToString();
        }
    }

    /// <param name="what">the process in words, for errors ("the boot service")</param>
    /// <param name="readyLine">what it prints once it serves</param>
    public static Task<ChildProcess> StartAsync(string what, Command command, string readyLine, TimeSpan timeout, string? logPath = null, CancellationToken cancellationToken = default) =>
        StartAsync(what, command, (child, _) => child.Output.Contains(readyLine, StringComparison.Ordinal), timeout, logPath, cancellationToken);

    /// <summary>A process that says nothing when it is ready (nginx, in.tftpd): still running after <paramref name="settle"/> counts as started.</summary>
    public static Task<ChildProcess> StartQuietAsync(string what, Command command, TimeSpan settle, CancellationToken cancellationToken = default) =>
        StartAsync(what, command, (_, elapsed) => elapsed >= settle, settle + TimeSpan.FromSeconds(30), null, cancellationToken);

    private static async Task<ChildProcess> StartAsync(string what, Command command, Func<ChildProcess, TimeSpan, bool> ready, TimeSpan timeout, string? logPath,
        CancellationToken cancellationToken)
    {
        var child = new ChildProcess(logPath);
        var running = child.process = command.WithStandardOutputPipe(PipeTarget.ToDelegate(child.Append)).WithStandardErrorPipe(PipeTarget.ToDelegate(child.Append))
            .WithValidation(CommandResultValidation.None).ExecuteAsync(child.stop.Token);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await Retry.UntilAsync($"{what} to be ready", _ =>
            {
                if (running.Task.IsCompleted)
                    throw new HarnessException($"{what} exited: {child.Output.Trim()}");
                return Task.FromResult(ready(child, TimeProvider.System.GetElapsedTime(started)) ? null : "not ready yet");
            }, timeout, cancellationToken: cancellationToken);
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }

        return child;
    }

    /// <summary>Until the process has ended (after it was killed from outside, or stopped by disposal).</summary>
    public async Task WaitForExitAsync()
    {
        if (process is null)
            return;
        try
        {
            await process;
        }
        catch (OperationCanceledException)
        {
            // Stopped by disposal.
        }
    }

    private void Append(string line)
    {
        lock (output)
        {
            output.AppendLine(line);
            log?.WriteLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await WaitForExitAsync();
        stop.Dispose();
        lock (output)
            log?.Dispose();
    }
}
