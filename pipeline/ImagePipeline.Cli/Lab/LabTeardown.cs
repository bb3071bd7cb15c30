using System.Globalization;
using CliWrap;
using ImagePipeline.Validation.Harness;

namespace ImagePipeline.Cli.Lab;

/// <summary>
/// Takes a lab down: stops the controller (SIGTERM: it takes its VMs, boot service and namespace
/// down), kills it if it does not end within a minute, then removes whatever a dead controller
/// left: its namespace (which takes the taps and the host link with it), QEMU processes and VM
/// directories, and the lab directory.
/// </summary>
public static class LabTeardown
{
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    /// <param name="say">what was stopped and removed, for the operator; null to say nothing</param>
    public static async Task CleanUpAsync(string labDirectory, Action<string>? say)
    {
        var state = LabState.Load(labDirectory);
        if (state is null && !Directory.Exists(labDirectory))
        {
            say?.Invoke("lab down: no lab is up");
            return;
        }

        if (state is { ControllerAlive: true })
        {
            say?.Invoke($"lab down: stopping the controller (pid {state.ControllerPid}) and its {state.Machines.Count} machines");
            await SignalAsync(state, "TERM");
            try
            {
                await Retry.UntilAsync($"the lab controller (pid {state.ControllerPid}) to stop", _ => Task.FromResult(Running(state)), StopTimeout);
            }
            catch (CheckFailedException)
            {
                await SignalAsync(state, "KILL");
                await Retry.UntilAsync($"the killed lab controller (pid {state.ControllerPid}) to end", _ => Task.FromResult(Running(state)), TimeSpan.FromSeconds(30));
            }
        }

        var leftovers = new List<string>();
        if (state is not null)
        {
            if (File.Exists($"/run/netns/{state.Namespace}"))
            {
                leftovers.Add($"namespace {state.Namespace}");
                await Validation.Networks.VirtualNetwork.DeleteAsync(state.Namespace);
            }

            if (Directory.Exists($"/sys/class/net/{state.HostDevice}"))
            {
                leftovers.Add($"host link {state.HostDevice}");
                await CliWrap.Cli.Wrap("ip").WithArguments(["link", "delete", state.HostDevice]).WithValidation(CommandResultValidation.None).ExecuteAsync();
            }
        }

        // QEMU processes and VM directories of a controller that died are found by its pid.
        Validation.Qemu.Orphans.Reap();
        if (Directory.Exists(labDirectory))
            Directory.Delete(labDirectory, recursive: true);
        say?.Invoke(leftovers.Count == 0
            ? "lab down: removed; no namespace, tap, QEMU process or lab file is left"
            : $"lab down: removed, including what a dead controller left: {string.Join(", ", leftovers)}");
    }

    private static string? Running(LabState state) => state.ControllerAlive ? "still running" : null;

    private static Task SignalAsync(LabState state, string signal) =>
        CliWrap.Cli.Wrap("kill").WithArguments([$"-{signal}", state.ControllerPid.ToString(CultureInfo.InvariantCulture)]).WithValidation(CommandResultValidation.None).ExecuteAsync();
}
