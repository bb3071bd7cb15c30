using System.Diagnostics;
using System.Globalization;
using ImagePipeline.Agent.Deploy;
using ImagePipeline.Agent.Hardware;
using ImagePipeline.Agent.Protocol;
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

        var config = FindConfig();
        if (config is null)
        {
            Say("no agent configuration on any disk (not deployed by a boot service): not reporting");
            return 0;
        }

        var report = new HealthReport
        {
            ImageId = config.ImageId,
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
                return acknowledgement.State == "healthy" ? 0 : 1;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested && deadline.Elapsed < TimeSpan.FromMinutes(10))
            {
                await pacer.FailedAsync(e, cancellationToken);
            }
        }
    }

    private static AgentConfig? FindConfig()
    {
        foreach (var disk in new HardwareFactsReader().ReadDisks())
        {
            try
            {
                using var handle = File.OpenHandle($"/dev/{disk.Name}", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var block = new byte[AgentConfigBlock.Size];
                if (RandomAccess.Read(handle, block, AgentConfigBlock.Offset) == block.Length && AgentConfigBlock.Parse(block) is { } config)
                    return config;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        return null;
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
