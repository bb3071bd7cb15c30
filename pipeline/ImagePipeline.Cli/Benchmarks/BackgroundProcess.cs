using System.Diagnostics;
using System.Text;
using CliWrap;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>A peer server (tftpd-hpa, nginx, our own bootsvc) running for the length of a benchmark; ended on disposal.</summary>
internal sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly StringBuilder output = new();
    private readonly CommandTask<CommandResult> process;
    private readonly string name;

    public BackgroundProcess(string name, Command command)
    {
        this.name = name;
        process = command.WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(Append))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(Append))
            .ExecuteAsync(stop.Token);
    }

    public string Output
    {
        get
        {
            lock (output)
                return output.ToString();
        }
    }

    /// <summary>Gives the process <paramref name="settle"/> to start, or until it prints <paramref name="readyText"/>; throws (with what to install) if it exits instead.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan settle, string? readyText, string installHint, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (readyText is null ? watch.Elapsed < settle : !Output.Contains(readyText, StringComparison.Ordinal))
        {
            if (process.Task.IsCompleted)
                throw new InvalidOperationException($"{name} exited at start ({installHint}): {Output.Trim()}");
            if (watch.Elapsed > TimeSpan.FromSeconds(30))
                throw new TimeoutException($"{name} did not become ready in 30 s: {Output.Trim()}");
            await Task.Delay(100, cancellationToken);
        }
    }

    private void Append(string line)
    {
        lock (output)
            output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await process;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }
}
