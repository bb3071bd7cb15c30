using System.Diagnostics;
using System.Globalization;
using ImagePipeline.Agent.Deploy;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Agent.Slots;
using ImagePipeline.Loops;

namespace ImagePipeline.Agent.Report;

/// <summary>
/// <c>imagepipe-agent report</c>, run by every golden image at boot: find the configuration the
/// deploy agent left on this machine's disk, and report the image id, kernel, boot time and failed
/// units to the boot service until it acknowledges. A machine not deployed by us has no
/// configuration and reports nothing.
/// </summary>
public static class ReportCommand
{
    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // First and whether deployed or not: a validation boot reads this line on the console.
        var verity = RootIntegrity.Expected(ReadText("/proc/cmdline") ?? "");
        HealthCheckResult? integrity = null;
        if (verity)
        {
            integrity = await RootIntegrity.VerifyAsync(RootIntegrity.DefaultDevice, RootIntegrity.LastVerityMessageAsync, cancellationToken);
            Say($"root is verity-protected: yes; {(integrity.Passed ? "" : "FAILED: ")}{integrity.Detail}");
        }
        else
        {
            Say("root is verity-protected: no");
        }

        var commandLine = ReadText("/proc/cmdline") ?? "";
        var system = RunningSystem.Find(commandLine);
        if (system is null)
        {
            Say("no agent configuration on any disk (not deployed by a boot service): not reporting");
            return 0;
        }

        var slot = system.Slot;
        if (system.Config.TrialSlot is { } trial && trial != slot && slot is not null)
        {
            // A trial of the other slot was armed and this boot is not it: the trial failed and the
            // boot loaders fell back here. The failed slot leaves the boot loaders now, without the
            // network; the boot service is told when it answers.
            var failed = system.Config.ImageIn(trial);
            Say($"slot {trial} (image {failed}) failed its trial boot: back on slot {slot} (image {system.Config.ImageIn(slot)})");
            try
            {
                using var esp = await Mounts.MountAsync(system.EspDevice(), "esp", writable: true, "vfat", cancellationToken);
                new SlotBootLoaders(esp.Point).Remove(trial, slot);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // The boot loaders already boot this slot (the failed one's try is spent); the report matters more.
                Say($"could not take slot {trial} out of the boot loaders: {e.Message}");
            }

            var images = new Dictionary<string, string>(system.Config.SlotImages ?? [], StringComparer.Ordinal);
            images.Remove(trial);
            system = system.WithConfig(system.Config with { TrialSlot = null, FellBackFrom = failed, SlotImages = images });
            Say($"slot {trial} taken out of the boot loaders; slot {slot} stays");
        }

        var config = system.Config;
        var fellBackFrom = config.FellBackFrom;
        if (slot is not null)
            Say($"running from slot {slot}, image {config.ImageIn(slot)}{(config.TrialSlot == slot ? ", on trial" : "")}");

        var report = new HealthReport
        {
            ImageId = config.ImageIn(slot),
            Slot = slot,
            FellBackFrom = fellBackFrom,
            Kernel = ReadText("/proc/sys/kernel/osrelease") ?? "unknown",
            BootSeconds = double.Parse((ReadText("/proc/uptime") ?? "0").Split(' ')[0], CultureInfo.InvariantCulture),
            FailedUnits = await FailedUnitsAsync(cancellationToken),
            Checks =
            [
                .. integrity is null ? [] : new[] { integrity },
                .. File.Exists(HealthChecks.DefaultPath)
                    ? await new HealthChecks().RunAsync(await File.ReadAllTextAsync(HealthChecks.DefaultPath, cancellationToken), cancellationToken)
                    : [],
            ],
            RootVerity = verity,
        };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var client = new BootServiceClient(http, new Uri(config.Server), config.Token);
        // The network may come up after this starts: keep trying for ten minutes.
        var deadline = Stopwatch.StartNew();
        var pacer = new RetryPacer("imagepipeline-agent: reporting to the boot service", Console.WriteLine, TimeProvider.System, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        while (true)
        {
            try
            {
                var acknowledgement = await client.HealthAsync(report, cancellationToken);
                pacer.Succeeded();
                Say($"health reported to {config.Server}: {acknowledgement.State}{(acknowledgement.Reasons.Count == 0 ? "" : ": " + string.Join("; ", acknowledgement.Reasons))}");
                var healthy = acknowledgement.State == "healthy";
                if (slot is not null)
                    await SettleSlotsAsync(system, healthy, cancellationToken);
                if (healthy && slot is not null && acknowledgement.UpdateCheckSeconds is > 0 and var seconds)
                    await WatchForUpdatesAsync(TimeSpan.FromSeconds(seconds), commandLine, cancellationToken);
                return healthy ? 0 : 1;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested && deadline.Elapsed < TimeSpan.FromMinutes(10))
            {
                await pacer.FailedAsync(e, cancellationToken);
            }
        }
    }

    /// <summary>
    /// After the report, on a slotted disk: a trial boot that is healthy marks its slot good (both
    /// boot loaders boot it from now on); one that is not reboots, and the boot loaders take the
    /// other slot. A fallback the boot service has now heard of is forgotten.
    /// </summary>
    private static async Task SettleSlotsAsync(RunningSystem system, bool healthy, CancellationToken cancellationToken)
    {
        var slot = system.Slot!;
        if (system.Config.FellBackFrom is not null)
            system = system.WithConfig(system.Config with { FellBackFrom = null });
        if (system.Config.TrialSlot != slot)
            return;
        using (var esp = await Mounts.MountAsync(system.EspDevice(), "esp", writable: true, "vfat", cancellationToken))
        {
            if (healthy)
            {
                new SlotBootLoaders(esp.Point).MarkGood(slot);
                system.WithConfig(system.Config with { ImageId = system.Config.ImageIn(slot), TrialSlot = null });
                Say($"slot {slot} marked good: it boots from now on");
                return;
            }
        }

        Say($"slot {slot} is not healthy on its trial boot: rebooting into slot {SlotBoot.Other(slot)}");
        await Mounts.RebootAsync(cancellationToken);
    }

    /// <summary>
    /// A healthy system with A/B slots stays: every <paramref name="interval"/> it asks the boot
    /// service for an image to write in place, and when there is one writes it and reboots into its
    /// trial. An unreachable boot service is a line when the error changes (and a summary every few
    /// minutes), not a line a round.
    /// </summary>
    private static async Task WatchForUpdatesAsync(TimeSpan interval, string commandLine, CancellationToken cancellationToken)
    {
        Say($"asking the boot service for in-place updates every {interval.TotalSeconds:0} s");
        var errors = new RepeatedErrorLog("imagepipeline-agent: in-place update check", Console.WriteLine, TimeProvider.System);
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(interval, cancellationToken);
            try
            {
                if (RunningSystem.Find(commandLine) is not { } system)
                    return;
                await Slots.UpdateCommand.UpdateAsync(system, reboot: true, quiet: true, cancellationToken);
                errors.Recovered();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
            {
                errors.Failed(e.Message, interval);
            }
        }
    }

    private static async Task<IReadOnlyList<string>> FailedUnitsAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists("/run/systemd/system"))
            return [];
        try
        {
            using var systemctl = Process.Start(new ProcessStartInfo("systemctl", ["--failed", "--plain", "--no-legend", "--no-pager"]) { RedirectStandardOutput = true })!;
            var output = await systemctl.StandardOutput.ReadToEndAsync(cancellationToken);
            await systemctl.WaitForExitAsync(cancellationToken);
            return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split(' ')[0])];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }
    }

    private static string? ReadText(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;

    private static void Say(string message) => Console.WriteLine($"imagepipeline-agent: {message}");
}
