using System.Text;
using CliWrap;

namespace ImagePipeline.Builder.Tools;

/// <summary>
/// Runs the external tools a build uses (mmdebstrap, mkfs, sfdisk, qemu-img...) through CliWrap.
/// Every line of output goes to the build log; a non-zero exit becomes a <see cref="BuildStepException"/>
/// carrying the stage, the command line and the last lines of output.
/// </summary>
public sealed class ToolRunner(BuildLog log)
{
    private const int TailLines = 25;

    /// <summary>
    /// Starts the tool from a thread of its own that lives until the tool exits. The recipe sandbox
    /// (bwrap --die-with-parent: PR_SET_PDEATHSIG) is killed when the thread that forked it ends —
    /// the thread, not the process — and the thread pool retires idle threads: a 40 s recipe command
    /// died with SIGKILL (exit code 137) mid-build after a store outage had grown the pool.
    /// </summary>
    private static Task<CommandResult> StartedFromOwnThreadAsync(Func<CommandTask<CommandResult>> start)
    {
        var ended = new TaskCompletionSource<CommandResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ended.SetResult(start().Task.GetAwaiter().GetResult());
            }
            catch (Exception e)
            {
                ended.SetException(e);
            }
        }) { IsBackground = true, Name = "build tool" };
        thread.Start();
        return ended.Task;
    }

    public async Task<string> RunAsync(string stage, string program, IReadOnlyList<string> arguments,
        CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null, string? standardInput = null, bool quiet = false)
    {
        var commandLine = program + " " + string.Join(' ', arguments.Select(Quote));
        log.Line($"$ {commandLine}");
        var tail = new Queue<string>();
        var stdout = new StringBuilder();
        // quiet: output is data (or a tool's echo of a long script), kept only as the tail for errors.
        void Keep(string line)
        {
            if (!quiet)
                log.Line("  " + line);
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > TailLines)
                    tail.Dequeue();
            }
        }

        var command = Cli.Wrap(program)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(environment ?? new Dictionary<string, string?>())
            .WithStandardOutputPipe(PipeTarget.Merge(PipeTarget.ToStringBuilder(stdout), PipeTarget.ToDelegate(Keep)))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(Keep));
        if (workingDirectory is not null)
            command = command.WithWorkingDirectory(workingDirectory);
        if (standardInput is not null)
            command = command.WithStandardInputPipe(PipeSource.FromString(standardInput));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        CommandResult result;
        try
        {
            result = await StartedFromOwnThreadAsync(() => command.ExecuteAsync(cancellationToken));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BuildStepException(stage, commandLine, $"could not start '{program}' ({e.Message}); run ./scripts/bootstrap.sh to install the build tools", "");
        }

        log.Line($"  ({program}: exit {result.ExitCode} after {watch.Elapsed.TotalSeconds:0.00} s)");
        if (result.ExitCode != 0)
        {
            string text;
            lock (tail)
                text = string.Join('\n', tail);
            throw new BuildStepException(stage, commandLine, $"exit code {result.ExitCode}", text);
        }

        return stdout.ToString();
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@+%".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
