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

    private readonly ChildProcess process;

    private BootServiceInstance(ChildProcess process) => this.process = process;

    /// <summary>The boot service's process (<c>ip netns exec</c> runs it in place).</summary>
    public int ProcessId => process.ProcessId;

    /// <summary>Everything it printed so far (one line per DHCP answer and boot-path request).</summary>
    public string Output => process.Output;

    /// <param name="launcher">how to run the imagepipe CLI: its program and the arguments before the verb (for example dotnet and the path of imagepipe.dll)</param>
    /// <param name="arguments">bootsvc's arguments after --interface</param>
    /// <param name="adminToken">the operator API's token, handed over in the environment (IMAGEPIPE_ADMIN_TOKEN), not on the command line</param>
    public static async Task<BootServiceInstance> StartAsync(VirtualNetwork network, CliLauncher launcher, IReadOnlyList<string> arguments, string? adminToken, string logPath,
        CancellationToken cancellationToken)
    {
        var command = network.Command(launcher.Program, [.. launcher.Arguments, "bootsvc", "--interface", VirtualNetwork.Bridge, .. arguments])
            .WithEnvironmentVariables(e => e.Set("IMAGEPIPE_ADMIN_TOKEN", adminToken));
        return new BootServiceInstance(await ChildProcess.StartAsync("the boot service", command, "boot service ready", TimeSpan.FromSeconds(60), logPath, cancellationToken));
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();
}
