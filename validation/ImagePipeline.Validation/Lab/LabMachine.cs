using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Lab;

/// <summary>
/// One lab machine and the BMC in front of it: power on, off and reset, and a boot override, on a
/// QEMU guest with a blank disk that is set to boot from the network first. QEMU runs with
/// -no-reboot, so a reboot from inside the guest ends the QEMU process; the BMC then powers it on
/// again (as real hardware resets), applying the boot override of that moment. The disk, the UEFI
/// variables and the console log survive every power cycle; the console log also survives the
/// machine, for <c>imagepipe lab console</c>.
/// </summary>
public sealed class LabMachine : IAsyncDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly CancellationTokenSource disposed = new();
    private int generation;
    private Task watcher = Task.CompletedTask;

    private LabMachine(string id, string profile, QemuMachine hardware, QemuVm vm)
    {
        Id = id;
        Profile = profile;
        Hardware = hardware;
        Vm = vm;
    }

    /// <summary>The machine's name in the lab and its Redfish system id (lab-1, lab-2, ...).</summary>
    public string Id { get; }
    /// <summary>The hardware profile it was made from.</summary>
    public string Profile { get; }
    /// <summary>Its hardware with its normal boot order: the NIC first, then the disk.</summary>
    public QemuMachine Hardware { get; }
    public string Mac => Hardware.Mac!;
    /// <summary>The guest itself, for the harness vocabulary (console waits, cable pulls).</summary>
    public QemuVm Vm { get; }
    public string ConsoleLogPath => Vm.SerialLogPath;
    public PowerState PowerState => Vm.IsRunning ? PowerState.On : PowerState.Off;
    public BootSource OverrideTarget { get; private set; }
    public BootOverrideMode OverrideMode { get; private set; }
    /// <summary>How many times it was powered on (by the BMC or after a reboot from inside).</summary>
    public int PowerOns { get; private set; }
    /// <summary>Where the last power-on booted from first: Pxe or Hdd.</summary>
    public BootSource LastBoot { get; private set; }

    public static async Task<LabMachine> CreateAsync(string id, string profile, QemuMachine hardware, long diskBytes, string consoleLog, string accelerator,
        CancellationToken cancellationToken)
    {
        if (hardware.Mac is null)
            throw new ArgumentException("a lab machine needs its own MAC: machines on one network must not share QEMU's default", nameof(hardware));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(consoleLog))!);
        var vm = await QemuVm.CreateBlankAsync(hardware, diskBytes, consoleLog, accelerator, cancellationToken);
        return new LabMachine(id, profile, hardware, vm);
    }

    /// <summary>Sets the boot override (Redfish PATCH of Boot); it takes effect at the next power-on.</summary>
    public async Task SetBootOverrideAsync(BootSource target, BootOverrideMode mode, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            OverrideTarget = mode == BootOverrideMode.Disabled ? BootSource.None : target;
            OverrideMode = target == BootSource.None ? BootOverrideMode.Disabled : mode;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task ResetAsync(ResetType type, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            switch (type)
            {
                case ResetType.On:
                    if (!Vm.IsRunning)
                        await PowerOnLockedAsync(cancellationToken);
                    break;
                case ResetType.ForceOff:
                    await PowerOffLockedAsync();
                    break;
                case ResetType.GracefulShutdown:
                    if (Vm.IsRunning)
                        await Vm.Qmp.ExecuteAsync("system_powerdown", null, cancellationToken);
                    break;
                case ResetType.ForceRestart:
                case ResetType.PowerCycle:
                    await PowerOffLockedAsync();
                    await PowerOnLockedAsync(cancellationToken);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(type), type, "not a reset type this BMC supports");
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task PowerOffLockedAsync()
    {
        // A new generation first: the watcher of the cycle being cut must not power it on again.
        Interlocked.Increment(ref generation);
        await Vm.CrashAsync();
    }

    private async Task PowerOnLockedAsync(CancellationToken cancellationToken)
    {
        var boot = OverrideMode == BootOverrideMode.Disabled ? BootSource.Pxe : OverrideTarget;
        if (OverrideMode == BootOverrideMode.Once)
        {
            OverrideMode = BootOverrideMode.Disabled;
            OverrideTarget = BootSource.None;
        }

        var machine = boot == BootSource.Hdd ? Hardware.WithNetworkBoot(NetworkBoot.None) : Hardware;
        await Vm.PowerOnAsync(machine, cancellationToken);
        LastBoot = boot;
        PowerOns++;
        var cycle = Interlocked.Increment(ref generation);
        watcher = WatchAsync(cycle);
    }

    /// <summary>Follows one power cycle: a reboot from inside the guest powers the machine on again; a shutdown leaves it off.</summary>
    private async Task WatchAsync(int cycle)
    {
        try
        {
            await Vm.WaitForExitAsync(disposed.Token);
            await gate.WaitAsync(disposed.Token);
            try
            {
                if (cycle == Volatile.Read(ref generation))
                {
                    if (Vm.LastShutdownReason == "guest-reset")
                        await PowerOnLockedAsync(disposed.Token);
                    else
                        await Console.Error.WriteLineAsync($"lab: {Id} stopped ({Vm.LastShutdownReason ?? "QEMU exited without a SHUTDOWN event"}) and stays off");
                }
            }
            finally
            {
                gate.Release();
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (HarnessException e)
        {
            await Console.Error.WriteLineAsync($"lab: {Id} could not be powered on again after a reboot: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await disposed.CancelAsync();
        Interlocked.Increment(ref generation);
        try
        {
            await watcher;
        }
        catch (OperationCanceledException)
        {
        }

        await Vm.DisposeAsync();
        disposed.Dispose();
        gate.Dispose();
    }
}
