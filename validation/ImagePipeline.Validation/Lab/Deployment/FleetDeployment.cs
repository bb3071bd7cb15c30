using System.Globalization;
using System.Text.RegularExpressions;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Redfish;

namespace ImagePipeline.Validation.Lab.Deployment;

/// <summary>
/// Puts an image on machines the way production does: the boot service is told each machine's
/// desired image, the machine's BMC is told to network-boot once and power-cycle (Redfish only),
/// then the machine is followed through the boot service until the agent inside the new image
/// reports it healthy, or it fails, or time runs out — decided by <see cref="DeploymentEnd.Of"/>,
/// the rule a rollout's waves follow, so the lab rehearses the production path. The boot
/// service's event history gives
/// each machine's phases: power-on to DHCP, DHCP to script, deploy environment up, write, reboot,
/// healthy.
/// </summary>
public sealed partial class FleetDeployment(BootServiceClient bootService, RedfishClient redfish, TimeProvider clock)
{
    /// <param name="health">for an image without our agent: the probes the boot service makes from outside to know it healthy</param>
    public async Task<IReadOnlyList<DeployOutcome>> DeployAsync(string imageId, long imageBytes, IReadOnlyList<DeployTarget> targets, TimeSpan timeout,
        Action<string>? progress, CancellationToken cancellationToken, IReadOnlyList<HealthProbe>? health = null)
    {
        var started = clock.GetUtcNow();
        var poweredOn = new Dictionary<string, DateTimeOffset>();
        foreach (var target in targets)
        {
            await bootService.SetDesiredImageAsync(target.Mac, imageId, cancellationToken, health: health);
            await redfish.NetbootOnceAsync(target.SystemPath, cancellationToken);
            poweredOn[target.Name] = clock.GetUtcNow();
            progress?.Invoke($"{target.Name}: desired image set, network boot once, power cycled");
        }

        var last = targets.ToDictionary(t => t.Name, _ => (MachineState?)null);
        var done = new Dictionary<string, DeploymentEnd>();
        var pending = targets.ToList();
        while (pending.Count > 0 && clock.GetUtcNow() - started < timeout)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), clock, cancellationToken);
            foreach (var target in pending.ToList())
            {
                if (await bootService.GetAsync(target.Mac, cancellationToken) is not { } machine)
                    continue;
                if (machine.State != last[target.Name])
                {
                    last[target.Name] = machine.State;
                    progress?.Invoke($"{target.Name}: {machine.State.ToString().ToLowerInvariant()}");
                }

                // The machine is read already: only its events are fetched for the rule.
                if (DeploymentEnd.Of(await bootService.EventsAsync(target.Mac, cancellationToken), machine.CurrentImage, imageId, started) is { } end)
                {
                    done[target.Name] = end;
                    pending.Remove(target);
                    if (!end.Healthy)
                        progress?.Invoke($"{target.Name}: failed: {end.Reason}");
                }
            }
        }

        var outcomes = new List<DeployOutcome>();
        foreach (var target in targets)
        {
            var machine = await bootService.GetAsync(target.Mac, cancellationToken);
            var events = (await bootService.EventsAsync(target.Mac, cancellationToken)).Where(e => e.At >= started).ToList();
            var ended = done.GetValueOrDefault(target.Name);
            var healthy = ended is { Healthy: true };
            var error = ended is { Healthy: false } ? ended.Reason
                : healthy ? null
                : $"not healthy after {timeout.TotalSeconds:0} s: still {(machine is null ? "unknown to the boot service" : machine.State.ToString().ToLowerInvariant())}";
            var end = ended?.At ?? clock.GetUtcNow();
            outcomes.Add(new DeployOutcome(target.Name, target.Mac, healthy, machine?.State, error,
                (end - poweredOn[target.Name]).TotalSeconds, Phases(poweredOn[target.Name], events, imageBytes)));
        }

        return outcomes;
    }

    /// <summary>The phases that the boot service's history shows, in order; a phase it has no event for is left out.</summary>
    public static IReadOnlyList<PhaseTiming> Phases(DateTimeOffset poweredOn, IReadOnlyList<MachineEvent> events, long imageBytes)
    {
        var phases = new List<PhaseTiming>();
        var script = events.FirstOrDefault(e => e.Entered(MachineState.Deploying))?.At;
        var dhcp = events.FirstOrDefault(e => e.Kind == MachineEventKind.Netboot && (script is null || e.At <= script))?.At;
        var registered = events.FirstOrDefault(e => e.Kind == MachineEventKind.Registered && (script is null || e.At >= script))?.At;
        var written = events.FirstOrDefault(e => e.Entered(MachineState.Booting) && (registered is null || e.At >= registered));
        var health = events.FirstOrDefault(e => e.EndsDeployment && (written is null || e.At >= written.At));
        if (dhcp is { } d)
            phases.Add(new PhaseTiming("power-on to DHCP", (d - poweredOn).TotalSeconds, "firmware and its NIC's boot ROM"));
        if (script is { } s)
            phases.Add(new PhaseTiming(dhcp is null ? "power-on to script" : "DHCP to script", (s - (dhcp ?? poweredOn)).TotalSeconds, "iPXE fetched its machine's script"));
        if (script is { } s2 && registered is { } r)
            phases.Add(new PhaseTiming("deploy environment up", (r - s2).TotalSeconds, "kernel, initramfs, agent registered"));
        if (registered is { } r2 && written is not null)
        {
            var agentSeconds = SecondsIn(WrittenIn(), written.Detail) ?? (written.At - r2).TotalSeconds;
            phases.Add(new PhaseTiming("write", (written.At - r2).TotalSeconds,
                string.Create(CultureInfo.InvariantCulture, $"{imageBytes / 1048576.0:0} MiB in {agentSeconds:0.0} s, {imageBytes / 1e6 / Math.Max(agentSeconds, 0.001):0} MB/s")));
        }

        if (written is not null && health is not null)
        {
            var bootSeconds = SecondsIn(BootedIn(), health.Detail);
            var reboot = (health.At - written.At).TotalSeconds - (bootSeconds ?? 0);
            phases.Add(new PhaseTiming("reboot", reboot, "firmware, network boot to the local-disk script, the image's kernel starting"));
            if (bootSeconds is { } b)
                phases.Add(new PhaseTiming(health.Kind, b, "the image's kernel to its agent's health report"));
        }

        return phases;
    }

    private static double? SecondsIn(Regex pattern, string text) =>
        pattern.Match(text) is { Success: true } match ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    // The boot service's event texts: "wrote ID to /dev/vda in 9.5 s; ..." and "... booted in 3.1 s, ...".
    [GeneratedRegex(@" in ([0-9]+(?:\.[0-9]+)?) s")]
    private static partial Regex WrittenIn();

    [GeneratedRegex(@"booted in ([0-9]+(?:\.[0-9]+)?) s")]
    private static partial Regex BootedIn();
}
