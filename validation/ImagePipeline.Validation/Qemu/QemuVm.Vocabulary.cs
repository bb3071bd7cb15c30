using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ImagePipeline.Validation.Harness;

namespace ImagePipeline.Validation.Qemu;

/// <summary>
/// The words checks and tests are written in (after the NixOS test driver): wait for console
/// text, run a command and expect success or failure, wait for a port, cut the power, pull the
/// cable, take a screenshot. Every wait goes through <see cref="Retry"/>; a kernel panic on the
/// console fails any wait at once, and a QEMU that died is reported as the harness breaking.
/// </summary>
public sealed partial class QemuVm
{
    /// <summary>Lines that mean the kernel is in trouble: a panic ends the boot, an oops or call trace taints it.</summary>
    public static readonly Regex KernelTrouble = new(@"Kernel panic - not syncing.*|\bOops\b.*|\bCall Trace:|\bBUG: .*", RegexOptions.Compiled);
    private static readonly Regex Panic = new(@"Kernel panic - not syncing.*", RegexOptions.Compiled);
    /// <summary>
    /// A root shell's prompt ("~ # "). Not anchored at the end: kernel messages may follow it on the
    /// console at any moment, and busybox's line editor sends a cursor-position query after it.
    /// </summary>
    private const string RootPrompt = @"(?:^|\n)[^\n#]*# ";
    private int commandSerial;
    private bool loggedIn;

    /// <summary>A new boot: the shell of the last one is gone.</summary>
    /// <summary>Where this power cycle's console output starts: a panic before it ended an earlier boot, not this one.</summary>
    private int powerCycleStart;

    private void OnPowerOn()
    {
        loggedIn = false;
        powerCycleStart = console?.Position ?? 0;
    }

    /// <summary>Why a wait cannot succeed any more, or null: a panic in this power cycle, or the machine no longer running.</summary>
    private void ThrowIfDead(string what)
    {
        var text = console?.TextSince(powerCycleStart) ?? "";
        if (Panic.Match(text) is { Success: true } panic)
        {
            var lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
            var at = Array.FindIndex(lines, l => l.Contains("Kernel panic", StringComparison.Ordinal));
            throw new CheckFailedException($"kernel panic while waiting for {what}: {panic.Value.Trim()}\n" +
                string.Join('\n', lines.Skip(Math.Max(0, at - 10)).Take(20)));
        }

        if (process is { IsCompleted: true } done)
        {
            var result = done.GetAwaiter().GetResult();
            if (result.ExitCode != 0)
                throw new HarnessException($"QEMU exited with code {result.ExitCode} while waiting for {what}: {QemuErrors}");
            throw new CheckFailedException($"the machine powered off or rebooted while waiting for {what}");
        }
    }

    /// <param name="withoutKernelLog">match what programs printed, with the kernel's log records taken out: one can break into a program's line</param>
    public async Task<Match> WaitForConsoleTextAsync(Regex pattern, TimeSpan? timeout = null, int since = 0, bool withoutKernelLog = false, CancellationToken cancellationToken = default)
    {
        Match? match = null;
        await Retry.UntilAsync($"/{pattern}/ on the serial console of {Machine.Name}", async _ =>
        {
            match = Console.Find(pattern, since, withoutKernelLog);
            if (match is null && process is { IsCompleted: true })
            {
                // Stopped: what it printed last may not be read yet, and may be the line waited for.
                await ReadLastWordsAsync();
                match = Console.Find(pattern, since, withoutKernelLog);
            }

            if (match is null)
                ThrowIfDead($"/{pattern}/");
            return match is null ? "not seen yet" : null;
        }, timeout, () => "last console lines:\n" + string.Join('\n', Console.LastLines(50)) + "\nlast characters, escaped: " + EscapedTail(Console.Text, 120), cancellationToken: cancellationToken);
        return match!;
    }

    /// <summary>The end of the console with control characters made visible: prompts are matched byte by byte.</summary>
    private static string EscapedTail(string text, int count) =>
        string.Concat(text[Math.Max(0, text.Length - count)..].Select(c => c < ' ' && c != '\n' ? $"\\x{(int)c:x2}" : c == '\n' ? "\\n" : c.ToString()));

    /// <summary>Waits until a TCP connection to the guest port (through its host forward) stays open, which slirp only allows once the guest accepts.</summary>
    public async Task WaitForOpenPortAsync(int guestPort, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (!PortForwards.TryGetValue(guestPort, out var hostPort))
            throw new HarnessException($"guest port {guestPort} is not forwarded; start the VM with it in forwardGuestPorts");
        await Retry.UntilAsync($"port {guestPort} of {Machine.Name} to accept connections", async token =>
        {
            ThrowIfDead($"port {guestPort}");
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", hostPort, token);
                // slirp accepts on the host at once and closes when the guest refuses: an open port stays open.
                var stream = client.GetStream();
                var probe = stream.ReadAsync(new byte[1], token).AsTask();
                var finished = await Task.WhenAny(probe, Task.Delay(TimeSpan.FromMilliseconds(300), token));
                return finished == probe && (await probe) == 0 ? "the guest refused the connection" : null;
            }
            catch (SocketException e)
            {
                return e.Message;
            }
            catch (IOException e)
            {
                return e.Message;
            }
        }, timeout, cancellationToken: cancellationToken);
    }

    /// <summary>Power cut: QEMU is killed without warning; the overlay keeps whatever reached it. <see cref="PowerOnAsync"/> boots it again.</summary>
    public async Task CrashAsync()
    {
        if (power is null || process is null)
            return;
        await power.CancelAsync();
        try
        {
            await process;
        }
        catch (OperationCanceledException)
        {
        }

        await ReadLastWordsAsync();
    }

    /// <summary>The cable is pulled: the NIC reports no link until <see cref="UnblockAsync"/>.</summary>
    public Task BlockAsync(CancellationToken cancellationToken = default) =>
        Qmp.ExecuteAsync("set_link", new { name = "nic0", up = false }, cancellationToken);

    public Task UnblockAsync(CancellationToken cancellationToken = default) =>
        Qmp.ExecuteAsync("set_link", new { name = "nic0", up = true }, cancellationToken);

    /// <summary>What the VGA console shows, as a PNG (QMP screendump).</summary>
    public async Task ScreenshotAsync(string pngPath, CancellationToken cancellationToken = default)
    {
        await Qmp.ExecuteAsync("screendump", new { filename = Path.GetFullPath(pngPath), format = "png" }, cancellationToken);
        if (!File.Exists(pngPath))
            throw new HarnessException($"QEMU reported a screendump but {pngPath} does not exist");
    }

    /// <summary>
    /// Runs a shell command in the guest as root; its exit code and output. Through the validation
    /// channel when the image's agent has opened it (no login needed: the root account may stay
    /// locked), else typed at a root shell on the serial console.
    /// </summary>
    public async Task<(int ExitCode, string Output)> ExecuteAsync(string command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var open = channel is { IsOpen: true } ready ? ready : await LoginAsync(cancellationToken);
        if (open is not null)
            return await open.ExecuteAsync(command, timeout ?? Retry.DefaultTimeout, cancellationToken);
        var n = Interlocked.Increment(ref commandSerial);
        // The typed line is echoed; splitting the markers with "" keeps the echo from ever matching them.
        var begin = $"__IPB{n}__";
        var end = $"__IPE{n}__";
        var since = Console.Position;
        await Console.WriteAsync($"echo __IP\"\"B{n}__; ( {command} ) 2>&1; echo __IP\"\"E{n}__ $?\n", cancellationToken);
        var pattern = new Regex($"{Regex.Escape(begin)}\\r?\\n(?<output>.*?){Regex.Escape(end)} (?<code>[0-9]+)", RegexOptions.Singleline);
        var match = await WaitForConsoleTextAsync(pattern, timeout, since, cancellationToken: cancellationToken);
        return (int.Parse(match.Groups["code"].Value, CultureInfo.InvariantCulture), match.Groups["output"].Value.Replace("\r", "", StringComparison.Ordinal));
    }

    public async Task<string> SucceedAsync(string command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var (code, output) = await ExecuteAsync(command, timeout, cancellationToken);
        return code == 0 ? output : throw new CheckFailedException($"`{command}` exited {code}, expected 0; output:\n{output}");
    }

    public async Task<string> FailAsync(string command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var (code, output) = await ExecuteAsync(command, timeout, cancellationToken);
        return code != 0 ? output : throw new CheckFailedException($"`{command}` exited 0, expected a failure; output:\n{output}");
    }

    /// <summary>
    /// Reboots the guest from inside with <paramref name="command"/> and waits until QEMU has
    /// exited (it runs with -no-reboot), a reset and not a power-off. The command's answer is not
    /// waited for: the reboot may stop the agent or the shell before it can answer.
    /// <see cref="PowerOnAsync(CancellationToken)"/> boots the same disk again.
    /// </summary>
    public async Task RebootAsync(string command = "systemctl reboot", TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? Retry.DefaultTimeout;
        var exited = WaitForExitAsync(cancellationToken);
        var asked = ExecuteAsync(command, limit, cancellationToken);
        if (await Task.WhenAny(asked, exited) == asked && asked.IsCompletedSuccessfully && asked.Result.ExitCode != 0)
            throw new CheckFailedException($"`{command}` exited {asked.Result.ExitCode} instead of rebooting {Machine.Name}; output:\n{asked.Result.Output}");
        try
        {
            await exited.WaitAsync(limit, cancellationToken);
        }
        catch (TimeoutException)
        {
            var why = asked.Exception?.InnerException is { } failed ? $" ({failed.Message})" : "";
            throw new CheckFailedException($"{Machine.Name} was still running {limit.TotalSeconds:0} s after `{command}`{why}; last console lines:\n" + string.Join('\n', Console.LastLines(30)));
        }

        // The command's own ending (an answer, or the channel or console closing under it) no longer matters.
        _ = asked.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        if (LastShutdownReason is { } reason && reason != "guest-reset")
            throw new CheckFailedException($"{Machine.Name} stopped ({reason}) instead of rebooting after `{command}`");
    }

    public async Task<string> WaitUntilSucceedsAsync(string command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var output = "";
        await Retry.UntilAsync($"`{command}` to succeed on {Machine.Name}", async token =>
        {
            var (code, text) = await ExecuteAsync(command, TimeSpan.FromSeconds(30), token);
            output = text;
            return code == 0 ? null : $"exit code {code}: {text.Trim()}";
        }, timeout, cancellationToken: cancellationToken);
        return output;
    }

    /// <summary>
    /// Gets a way to run commands: the validation channel if the guest's agent opens it first, or
    /// a root shell on the serial console (images that allow a console login, such as the tiny
    /// example), with echo off. A console that asks root for a password leaves the channel.
    /// </summary>
    /// <returns>the channel when it is the way; null when the console shell is</returns>
    private async Task<GuestChannel?> LoginAsync(CancellationToken cancellationToken)
    {
        if (loggedIn)
            return null;
        var since = Console.Position;
        await Console.WriteAsync("\n", cancellationToken);
        var loginOrPrompt = new Regex(@"login: |" + RootPrompt);
        Match? prompt = null;
        await Retry.UntilAsync($"a root shell or the validation channel on {Machine.Name}", _ =>
        {
            if (channel is { IsOpen: true })
                return Task.FromResult<string?>(null);
            prompt = Console.Find(loginOrPrompt, since);
            if (prompt is null)
                ThrowIfDead("a login prompt");
            return Task.FromResult(prompt is null ? "neither a login prompt nor the guest's agent on the channel yet" : null);
        }, null, () => "last console lines:\n" + string.Join('\n', Console.LastLines(50)) + "\nlast characters, escaped: " + EscapedTail(Console.Text, 120), cancellationToken: cancellationToken);
        if (channel is { IsOpen: true } open)
            return open;

        if (prompt!.Value.Contains("login", StringComparison.Ordinal))
        {
            since = Console.Position;
            await Console.WriteAsync("root\n", cancellationToken);
            var answer = await WaitForConsoleTextAsync(new Regex(RootPrompt + "|Password: "), TimeSpan.FromSeconds(30), since, cancellationToken: cancellationToken);
            if (answer.Value.Contains("Password", StringComparison.Ordinal))
                return await ChannelInsteadOfPasswordAsync(cancellationToken);
        }

        // Quiet the kernel on the console (messages go on to the log) and stop echoing what is typed.
        await Console.WriteAsync("dmesg -n 1; stty -echo\n", cancellationToken);
        loggedIn = true;
        return null;
    }

    /// <summary>Root is locked on the console: the image's agent may still be starting its channel (getty can be first).</summary>
    private async Task<GuestChannel> ChannelInsteadOfPasswordAsync(CancellationToken cancellationToken)
    {
        var locked = $"{Machine.Name}: root needs a password on the serial console, so the harness cannot run commands there";
        if (channel is null)
            throw new CheckFailedException($"{locked}, and this VM has no validation channel; give the image a console login for validation (see recipes/examples/tiny.yaml)");
        try
        {
            await Retry.UntilAsync($"the validation channel of {Machine.Name}", _ =>
            {
                ThrowIfDead("the validation channel");
                if (channel.OpenWithoutKey)
                    throw new HarnessException($"{Machine.Name}: the guest's agent opened the validation channel but could not read its key from fw_cfg ({Agent.Protocol.GuestChannelProtocol.KeyFirmwareName}): is the qemu_fw_cfg module in the image?");
                return Task.FromResult(channel.IsOpen ? null : "the guest's agent has not opened it");
            }, TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
        }
        catch (CheckFailedException e)
        {
            throw new CheckFailedException($"{locked}, and the image's agent did not open the validation channel either ({e.Message}); " +
                "build the image with the report agent (the server and `imagepipe build` add it), or give it a console login for validation (see recipes/examples/tiny.yaml)", e);
        }

        return channel;
    }
}
