using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using CliWrap;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Machines;

namespace ImagePipeline.Validation.Qemu;

/// <summary>
/// One running QEMU guest. It starts paused with a QMP socket and a serial console socket, the
/// harness connects to both, then resumes it (a chardev server socket drops output while no
/// client is connected). The disk is a qcow2 overlay on the image artifact, which is only ever a
/// read-only backing file. Disposal removes the process, the sockets and the overlay, however the
/// run ended. If the process driving it is killed outright, the next VM started on this host
/// removes the orphan: VM directories carry their owner's process id. A VM the harness boots to
/// check gets the validation channel (<see cref="GuestChannel"/>); a lab machine, standing in for a
/// physical one, does not.
/// </summary>
public sealed partial class QemuVm : IAsyncDisposable
{
    private readonly StringBuilder qemuErrors = new();
    private CancellationTokenSource? power;
    private Task<CommandResult>? process;
    private QmpClient? qmp;
    private SerialConsole? console;
    private GuestChannel? channel;

    private readonly string? consoleLog;
    /// <summary>This VM's validation key (<see cref="GuestChannel"/>), or null for a VM without the channel.</summary>
    private readonly string? channelKey;

    private QemuVm(QemuMachine machine, string image, string directory, IReadOnlyDictionary<int, int> forwards, string accelerator, string? consoleLog, bool validationChannel)
    {
        Machine = machine;
        Image = image;
        Directory = directory;
        PortForwards = forwards;
        Accelerator = accelerator;
        this.consoleLog = consoleLog;
        channelKey = validationChannel ? GuestChannel.CreateKey(Path.Combine(directory, ChannelKeyFile)) : null;
    }

    private const string ChannelKeyFile = "validation-key";

    /// <summary>The hardware; a power-on may change its boot order (<see cref="PowerOnAsync(QemuMachine, CancellationToken)"/>).</summary>
    public QemuMachine Machine { get; private set; }
    public string Image { get; }
    /// <summary>This VM's private directory: overlay, UEFI variables, sockets, serial log.</summary>
    public string Directory { get; }
    public string Accelerator { get; }
    /// <summary>Guest TCP port → host port on 127.0.0.1 (user-mode networking host forwards).</summary>
    public IReadOnlyDictionary<int, int> PortForwards { get; }
    /// <summary>Everything the serial console printed, across power cycles: in <see cref="Directory"/> unless the creator asked to keep it elsewhere (a lab keeps consoles after the VM is gone).</summary>
    /// <summary>The machine's disk: a qcow2 overlay (on the image, or blank), read it while the machine is off.</summary>
    public string DiskPath => Path.Combine(Directory, "overlay.qcow2");
    public string SerialLogPath => consoleLog ?? Path.Combine(Directory, "serial.log");
    public SerialConsole Console => console ?? throw new HarnessException($"VM {Machine.Name} is not running");
    public QmpClient Qmp => qmp ?? throw new HarnessException($"VM {Machine.Name} is not running");
    /// <summary>The validation channel of the current power cycle, or null when this VM has none.</summary>
    public GuestChannel? Channel => channel;

    /// <summary>When the guest was resumed after its sockets were connected (the boot's time zero).</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <param name="validationChannel">give the VM the validation channel (<see cref="GuestChannel"/>); false boots it as a physical machine would be</param>
    public static Task<QemuVm> StartAsync(QemuMachine machine, string imageQcow2, IEnumerable<int>? forwardGuestPorts = null,
        string accelerator = "tcg", bool validationChannel = true, CancellationToken cancellationToken = default)
    {
        var image = Path.GetFullPath(imageQcow2);
        return StartAsync(machine, image, ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", image],
            $"qemu-img could not create an overlay on {image}; is it a qcow2 image?", forwardGuestPorts, accelerator, cancellationToken,
            validationChannel: validationChannel);
    }

    /// <summary>Starts a machine with an empty disk of <paramref name="diskBytes"/> (a bare-metal machine before its first deploy).</summary>
    public static Task<QemuVm> StartBlankAsync(QemuMachine machine, long diskBytes, string accelerator = "tcg", CancellationToken cancellationToken = default) =>
        StartAsync(machine, "(blank disk)", ["create", "-q", "-f", "qcow2"], "qemu-img could not create a blank disk",
            null, accelerator, cancellationToken, diskBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// A machine with an empty disk that is not powered on yet (a server racked but off): a lab
    /// machine, so without the validation channel, as a physical machine is.
    /// <see cref="PowerOnAsync(CancellationToken)"/> starts it.
    /// </summary>
    /// <param name="consoleLog">where the serial console is logged, appended across power cycles; kept when the VM is disposed</param>
    public static Task<QemuVm> CreateBlankAsync(QemuMachine machine, long diskBytes, string? consoleLog, string accelerator = "tcg", CancellationToken cancellationToken = default) =>
        StartAsync(machine, "(blank disk)", ["create", "-q", "-f", "qcow2"], "qemu-img could not create a blank disk",
            null, accelerator, cancellationToken, diskBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), powerOn: false, consoleLog,
            validationChannel: false);

    private static async Task<QemuVm> StartAsync(QemuMachine machine, string image, string[] createArguments, string createFailure,
        IEnumerable<int>? forwardGuestPorts, string accelerator, CancellationToken cancellationToken, string? size = null, bool powerOn = true,
        string? consoleLog = null, bool validationChannel = true)
    {
        Orphans.Reap();
        var forwards = (forwardGuestPorts ?? []).Distinct().ToDictionary(port => port, _ => FreeTcpPort());
        if (forwards.Count > 0 && machine.Network is not NetworkAttachment.UserNetwork)
            throw new ArgumentException("port forwards exist only on user-mode networking; on a tap network reach the guest by its address", nameof(forwardGuestPorts));
        var directory = System.IO.Directory.CreateTempSubdirectory($"{Orphans.Prefix}{Environment.ProcessId}-{machine.Name}-").FullName;
        var vm = new QemuVm(machine, image, directory, forwards, accelerator, consoleLog is null ? null : Path.GetFullPath(consoleLog), validationChannel);
        try
        {
            string[] arguments = [.. createArguments, Path.Combine(directory, "overlay.qcow2"), .. size is null ? Array.Empty<string>() : [size]];
            var created = await Cli.Wrap("qemu-img").WithArguments(arguments)
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(cancellationToken);
            if (created.ExitCode != 0)
                throw new HarnessException($"{createFailure} (exit {created.ExitCode})");
            if (machine.Firmware == Firmware.Uefi)
                File.Copy(QemuArguments.OvmfVars, Path.Combine(directory, "OVMF_VARS.fd"));
            if (powerOn)
                await vm.PowerOnAsync(cancellationToken);
            return vm;
        }
        catch
        {
            await vm.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Powers on with another boot order (a BMC's boot override: the NIC first, or the disk only).
    /// The rest of the hardware must stay what it was: the disk and firmware variables are this VM's.
    /// </summary>
    public Task PowerOnAsync(QemuMachine machine, CancellationToken cancellationToken)
    {
        if (machine.WithNetworkBoot(Machine.NetworkBoot) != Machine)
            throw new ArgumentException($"only the boot order of {Machine.Name} can change between power cycles", nameof(machine));
        if (process is { IsCompleted: false })
            throw new HarnessException($"VM {Machine.Name} is already running");
        Machine = machine;
        return PowerOnAsync(cancellationToken);
    }

    /// <summary>Starts QEMU on the existing overlay: the first boot, or power on again after <see cref="CrashAsync"/>.</summary>
    public async Task PowerOnAsync(CancellationToken cancellationToken)
    {
        if (process is { IsCompleted: false })
            throw new HarnessException($"VM {Machine.Name} is already running");
        // The last power cycle read to its end first: its final console lines are kept in the new console's text.
        await ReadLastWordsAsync();
        var qmpPath = Path.Combine(Directory, "qmp.sock");
        var serialPath = Path.Combine(Directory, "serial.sock");
        var channelPath = Path.Combine(Directory, "channel.sock");
        File.Delete(qmpPath);
        File.Delete(serialPath);
        File.Delete(channelPath);
        var network = string.Concat(PortForwards.Select(f => $",hostfwd=tcp:127.0.0.1:{f.Value}-:{f.Key}"));
        var arguments = new List<string>();
        arguments.AddRange(QemuArguments.For(Machine, DiskPath,
            Machine.Firmware == Firmware.Uefi ? Path.Combine(Directory, "OVMF_VARS.fd") : null, Accelerator, network));
        arguments.AddRange(["-S", "-monitor", "none",
            "-qmp", $"unix:{qmpPath},server=on,wait=off",
            "-chardev", $"socket,id=ser0,path={serialPath},server=on,wait=off,logfile={SerialLogPath},logappend=on",
            "-serial", "chardev:ser0"]);
        if (channelKey is not null)
            arguments.AddRange(GuestChannel.QemuArguments(channelPath, Path.Combine(Directory, ChannelKeyFile)));

        power = new CancellationTokenSource();
        lock (qemuErrors)
            qemuErrors.Clear();
        // (PR_SET_PDEATHSIG is no use here: it fires when the spawning *thread* exits, and .NET
        // spawns from pool threads that come and go.)
        // On a private network QEMU runs inside its namespace, where the tap device lives.
        var command = Machine.Network is NetworkAttachment.TapNetwork tap
            ? Cli.Wrap("ip").WithArguments(["netns", "exec", tap.Namespace, "qemu-system-x86_64", .. arguments])
            : Cli.Wrap("qemu-system-x86_64").WithArguments(arguments);
        process = command
            .WithValidation(CommandResultValidation.None)
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line =>
            {
                // SeaBIOS's console port is a fw_cfg file outside opt/, which QEMU warns about every time.
                if (line.Contains("externally provided fw_cfg item names", StringComparison.Ordinal))
                    return;
                lock (qemuErrors)
                    qemuErrors.AppendLine(line);
            }))
            .ExecuteAsync(power.Token);

        await Retry.UntilAsync("QEMU to create its QMP and serial sockets", _ =>
        {
            if (process.IsCompleted)
                throw new HarnessException($"QEMU exited before it started the machine: {QemuErrors}");
            return Task.FromResult(File.Exists(qmpPath) && File.Exists(serialPath) && (channelKey is null || File.Exists(channelPath)) ? null : "no sockets yet");
        }, TimeSpan.FromSeconds(20), cancellationToken: cancellationToken);

        var previous = console;
        if (previous is not null)
            await previous.DisposeAsync();
        if (qmp is not null)
            await qmp.DisposeAsync();
        if (channel is not null)
            await channel.DisposeAsync();
        qmp = await QmpClient.ConnectAsync(qmpPath, cancellationToken);
        console = await SerialConsole.ConnectAsync(serialPath, cancellationToken, previous);
        channel = channelKey is null ? null : await GuestChannel.ConnectAsync(channelPath, channelKey, cancellationToken);
        OnPowerOn();
        await qmp.ExecuteAsync("cont", null, cancellationToken);
        StartedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>What QEMU printed on stderr (why it would not start, or died).</summary>
    public string QemuErrors
    {
        get
        {
            lock (qemuErrors)
                return qemuErrors.ToString().Trim();
        }
    }

    public bool IsRunning => process is { IsCompleted: false };

    /// <summary>Completes when the QEMU process of the current power cycle has exited (at once when it is not running).</summary>
    public async Task WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        if (process is not { } running)
            return;
        try
        {
            await running.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Killed (a power cut): exited all the same.
        }

        await ReadLastWordsAsync();
    }

    /// <summary>
    /// After QEMU exited: what it sent on its sockets just before, read to the end. The process's
    /// exit and the reads of its sockets are seen on different threads, in either order; without
    /// this, a caller could find the SHUTDOWN event (<see cref="LastShutdownReason"/>) not read yet
    /// (and a lab BMC leave a rebooted machine off), or the guest's last console lines missing.
    /// </summary>
    private async Task ReadLastWordsAsync()
    {
        var limit = TimeSpan.FromSeconds(10);
        if (console is not null)
            await console.WaitForEndAsync(limit);
        if (qmp is not null)
            await qmp.WaitForEndAsync(limit);
    }

    /// <summary>
    /// Why the guest last stopped, from QMP's SHUTDOWN event: "guest-reset" (it rebooted; QEMU runs
    /// with -no-reboot), "guest-shutdown" (it powered off), "host-qmp-quit" (we quit it); null when
    /// no SHUTDOWN was seen (QEMU was killed, or is still running).
    /// </summary>
    public string? LastShutdownReason => qmp?.LastEvent("SHUTDOWN")?["data"]?["reason"]?.GetValue<string>();

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (qmp is not null && IsRunning)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await qmp.ExecuteAsync("quit", null, quick.Token);
            }
            catch (Exception e) when (e is HarnessException or OperationCanceledException)
            {
                // It is killed below either way.
            }
        }

        if (power is not null)
        {
            if (process is not null)
            {
                try
                {
                    await process.WaitAsync(TimeSpan.FromSeconds(3));
                }
                catch (TimeoutException)
                {
                }
                catch (OperationCanceledException)
                {
                    // Its power was cut earlier (CrashAsync): it is gone already.
                }
            }

            await power.CancelAsync();
            try
            {
                if (process is not null)
                    await process;
            }
            catch (OperationCanceledException)
            {
            }

            power.Dispose();
        }

        try
        {
            if (console is not null)
                await console.DisposeAsync();
            if (qmp is not null)
                await qmp.DisposeAsync();
            if (channel is not null)
                await channel.DisposeAsync();
        }
        finally
        {
            await DeleteDirectoryAsync(Directory);
        }
    }

    /// <summary>
    /// Removes a VM directory even while a process that is going away still touches it (QEMU
    /// unlinks its sockets as it exits; a killed qemu-img may still create its file): retried.
    /// </summary>
    internal static async Task DeleteDirectoryAsync(string directory)
    {
        for (var attempt = 1; System.IO.Directory.Exists(directory); attempt++)
        {
            try
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
            catch (IOException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }
}
