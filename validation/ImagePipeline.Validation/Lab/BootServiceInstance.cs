using System.Text;
using CliWrap;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Networks;

namespace ImagePipeline.Validation.Lab;

/// <summary>
/// A real <c>imagepipe bootsvc</c> process in full-DHCP mode inside a lab's network namespace,
/// on the lab's bridge. Its output is kept in memory and in a log file; it is stopped on disposal
/// (and with the namespace, should its owner die).
/// </summary>
public sealed class BootServiceInstance : IAsyncDisposable
{
    public const int HttpPort = 8080;

    private readonly StringBuilder output = new();
    private readonly CancellationTokenSource stop = new();
    private readonly StreamWriter log;
    private CommandTask<CommandResult>? process;

    private BootServiceInstance(string logPath) =>
        log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };

    /// <summary>The boot service's process (<c>ip netns exec</c> runs it in place).</summary>
    public int ProcessId => process?.ProcessId ?? throw new InvalidOperationException("not started");

    /// <summary>Everything it printed so far (one line per DHCP answer and boot-path request).</summary>
    public string Output
    {
        get
        {
            lock (output)
                return output.ToString();
        }
    }

    /// <param name="launcher">how to run the imagepipe CLI: its program and the arguments before the verb (for example dotnet and the path of imagepipe.dll)</param>
    /// <param name="arguments">bootsvc's arguments after --interface</param>
    /// <param name="adminToken">the operator API's token, handed over in the environment (IMAGEPIPE_ADMIN_TOKEN), not on the command line</param>
    public static async Task<BootServiceInstance> StartAsync(VirtualNetwork network, CliLauncher launcher, IReadOnlyList<string> arguments, string? adminToken, string logPath,
        CancellationToken cancellationToken)
    {
        var instance = new BootServiceInstance(logPath);
        instance.process = network.Command(launcher.Program, [.. launcher.Arguments, "bootsvc", "--interface", VirtualNetwork.Bridge, .. arguments])
            .WithEnvironmentVariables(e => e.Set("IMAGEPIPE_ADMIN_TOKEN", adminToken))
            .WithStandardOutputPipe(PipeTarget.ToDelegate(instance.Append))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(instance.Append))
            .ExecuteAsync(instance.stop.Token);
        try
        {
            await Retry.UntilAsync("the boot service to start", _ =>
            {
                if (instance.process.Task.IsCompleted)
                    throw new HarnessException($"the boot service exited: {instance.Output}");
                return Task.FromResult(instance.Output.Contains("boot service ready", StringComparison.Ordinal) ? null : "not ready yet");
            }, TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    private void Append(string line)
    {
        lock (output)
        {
            output.AppendLine(line);
            log.WriteLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (process is not null)
        {
            try
            {
                await process;
            }
            catch (OperationCanceledException)
            {
            }
        }

        stop.Dispose();
        lock (output)
            log.Dispose();
    }
}
