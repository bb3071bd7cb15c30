using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Cli.Benchmarks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Tests.Support;

/// <summary>
/// Machines without VMs, for what the rollout controller does rather than what a disk does: one
/// Redfish service (GET a system, PATCH its boot override, POST ComputerSystem.Reset) in front of
/// simulated machines that, on a reset, netboot from the real boot service and speak its real
/// agent API as the deploy agent and then the in-image report agent would: boot script, register,
/// result, reboot, health. A step the boot service does not answer is tried again every second,
/// as a PXE ROM and the agent do.
/// </summary>
internal sealed partial class SimulatedFleet : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Uri bootService;
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<string, Task> boots = new(StringComparer.Ordinal);

    private SimulatedFleet(WebApplication app, Uri bootService, IReadOnlyDictionary<string, string> macs)
    {
        this.app = app;
        this.bootService = bootService;
        Macs = macs;
    }

    /// <summary>Machine name → MAC.</summary>
    public IReadOnlyDictionary<string, string> Macs { get; }

    public Uri RedfishUrl => new(app.Urls.First());

    /// <summary>Resets each machine took, by name.</summary>
    public ConcurrentDictionary<string, int> Resets { get; } = new(StringComparer.Ordinal);

    /// <summary>Machines whose new image comes up with a failed unit (their health report says so).</summary>
    public ConcurrentDictionary<string, bool> Unhealthy { get; } = new(StringComparer.Ordinal);

    /// <summary>Machines whose new image has no agent of ours (imported): after the reboot they report nothing, and their boot service's probes decide.</summary>
    public ConcurrentDictionary<string, bool> WithoutAgent { get; } = new(StringComparer.Ordinal);

    /// <summary>Machines whose images have A/B slots: their report agent says which slot it runs from and, once healthy, asks for in-place updates every second, as the real one does.</summary>
    public ConcurrentDictionary<string, bool> Slotted { get; } = new(StringComparer.Ordinal);

    /// <summary>Machines on A/B slots whose in-place update's trial boot fails (a panic): they fall back to the slot they ran.</summary>
    public ConcurrentDictionary<string, bool> FailsTrial { get; } = new(StringComparer.Ordinal);

    /// <summary>Machines that, once reset, wait at power-on until their gate is opened (a deployment caught in flight).</summary>
    public ConcurrentDictionary<string, TaskCompletionSource> HeldAtPowerOn { get; } = new(StringComparer.Ordinal);

    /// <summary>In-place updates each machine made, by name.</summary>
    public ConcurrentDictionary<string, int> InPlaceUpdates { get; } = new(StringComparer.Ordinal);

    public static string SystemPath(string name) => SimulatedBmcs.SystemPath(name);

    /// <summary>Every machine registered with the pipeline server (POST /api/v1/machines) at <paramref name="site"/>, rack r1, behind this Redfish service.</summary>
    /// <summary>Registers the fleet's machines with the server, all in one batch.</summary>
    public async Task RegisterAsync(HttpClient operatorClient, string site)
    {
        (await operatorClient.PostAsJsonAsync("/api/v1/machines/batch", Macs.Select(m => new
        {
            name = m.Key, mac = m.Value, variant = "bios-virtio", site, rack = "r1", bmcUrl = RedfishUrl.ToString(), bmcSystem = SystemPath(m.Key),
        }), TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
    }

    public static Task<SimulatedFleet> StartAsync(Uri bootService, params string[] names) => StartAsync(bootService, 0, names);

    /// <param name="fleet">this fleet's number, in its machines' MACs (52:54:00:5e:FLEET:NN): fleets at several sites never share one</param>
    public static async Task<SimulatedFleet> StartAsync(Uri bootService, int fleet, params string[] names)
    {
        var macs = names.Select((n, i) => (n, $"52:54:00:5e:{fleet:x2}:{i + 1:x2}")).ToDictionary(x => x.n, x => x.Item2, StringComparer.Ordinal);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var simulated = new SimulatedFleet(app, bootService, macs);
        app.MapSimulatedBmcs(macs.ContainsKey, id =>
        {
            simulated.Resets.AddOrUpdate(id, 1, (_, n) => n + 1);
            simulated.boots[id] = Task.Run(() => simulated.NetbootAsync(id, macs[id], simulated.Unhealthy.ContainsKey(id), simulated.stopping.Token));
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return simulated;
    }

    [GeneratedRegex(@"imagepipeline\.token=(\S+)")]
    private static partial Regex TokenOnCommandLine();

    /// <summary>The power-on: the boot script; if it boots the deploy environment, the agent's deploy; then the disk's boot and its health report.</summary>
    private async Task NetbootAsync(string name, string mac, bool unhealthy, CancellationToken cancellationToken)
    {
        if (HeldAtPowerOn.TryGetValue(name, out var held))
            await held.Task.WaitAsync(cancellationToken);
        var script = await UntilAnsweredAsync(() => http.GetStringAsync(new Uri(bootService, $"boot/{mac}.ipxe"), cancellationToken), cancellationToken);
        if (TokenOnCommandLine().Match(script) is not { Success: true } token)
            return;
        using var agent = new HttpClient { BaseAddress = bootService, Timeout = TimeSpan.FromSeconds(5) };
        agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Groups[1].Value);
        var registration = await UntilAnsweredAsync(async () =>
        {
            using var response = await agent.PostAsJsonAsync(AgentRoutes.Register, new RegisterRequest { AgentVersion = "1", Facts = Facts(mac) }, ProtocolJson.Default.RegisterRequest, cancellationToken);
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync(ProtocolJson.Default.RegisterResponse, cancellationToken))!;
        }, cancellationToken);
        if (registration.Assignment is not { } assignment)
            return;
        await UntilAnsweredAsync(async () =>
        {
            using var response = await agent.PostAsJsonAsync(AgentRoutes.Result, new DeployResult { ImageId = assignment.ImageId, Succeeded = true, TargetDisk = "/dev/vda", Seconds = 1 },
                ProtocolJson.Default.DeployResult, cancellationToken);
            response.EnsureSuccessStatusCode();
            return 0;
        }, cancellationToken);
        // The reboot: the boot service now hands the machine to its disk, whose report agent says how it is.
        await UntilAnsweredAsync(() => http.GetStringAsync(new Uri(bootService, $"boot/{mac}.ipxe"), cancellationToken), cancellationToken);
        if (WithoutAgent.ContainsKey(name))
            return;
        var slotted = Slotted.ContainsKey(name);
        var healthy = await ReportHealthAsync(agent, assignment.ImageId, slotted ? "a" : null, unhealthy, cancellationToken);
        if (slotted && healthy)
            await WatchForUpdatesAsync(name, mac, agent, "a", assignment.ImageId, cancellationToken);
    }

    private static async Task<bool> ReportHealthAsync(HttpClient agent, string imageId, string? slot, bool unhealthy, CancellationToken cancellationToken) =>
        await UntilAnsweredAsync(async () =>
        {
            using var response = await agent.PostAsJsonAsync(AgentRoutes.Health, new HealthReport
            {
                ImageId = imageId, Kernel = "6.1.0-simulated", BootSeconds = 3, FailedUnits = unhealthy ? ["app.service"] : [], Checks = [], Slot = slot,
            }, ProtocolJson.Default.HealthReport, cancellationToken);
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync(ProtocolJson.Default.HealthAcknowledgement, cancellationToken))!.State == "healthy";
        }, cancellationToken);

    /// <summary>The running system's agent on A/B slots: asks for an image to write in place; writes it into the other slot, reports, "reboots" into it and reports its health from there.</summary>
    private async Task WatchForUpdatesAsync(string name, string mac, HttpClient agent, string slot, string running, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(1000, cancellationToken);
            RegisterResponse registration;
            try
            {
                using var response = await agent.PostAsJsonAsync(AgentRoutes.Register, new RegisterRequest { AgentVersion = "1", Facts = Facts(mac), FromRunningSystem = true },
                    ProtocolJson.Default.RegisterRequest, cancellationToken);
                if (!response.IsSuccessStatusCode)
                    continue;
                registration = (await response.Content.ReadFromJsonAsync(ProtocolJson.Default.RegisterResponse, cancellationToken))!;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                continue;
            }

            if (registration.Assignment is not { } assignment)
                continue;
            var previous = (slot, image: running);
            slot = slot == "a" ? "b" : "a";
            InPlaceUpdates.AddOrUpdate(name, 1, (_, n) => n + 1);
            await UntilAnsweredAsync(async () =>
            {
                using var response = await agent.PostAsJsonAsync(AgentRoutes.Result, new DeployResult
                {
                    ImageId = assignment.ImageId, Succeeded = true, TargetDisk = $"/dev/vda slot {slot}", Seconds = 1, Method = "in-place", BytesFetched = 1 << 20,
                }, ProtocolJson.Default.DeployResult, cancellationToken);
                response.EnsureSuccessStatusCode();
                return 0;
            }, cancellationToken);
            if (FailsTrial.ContainsKey(name))
            {
                // The trial boot never comes up: the boot loader takes the old slot, whose agent says so.
                slot = previous.slot;
                await UntilAnsweredAsync(async () =>
                {
                    using var response = await agent.PostAsJsonAsync(AgentRoutes.Health, new HealthReport
                    {
                        ImageId = previous.image, Kernel = "6.1.0-simulated", BootSeconds = 3, FailedUnits = [], Checks = [], Slot = slot, FellBackFrom = assignment.ImageId,
                    }, ProtocolJson.Default.HealthReport, cancellationToken);
                    response.EnsureSuccessStatusCode();
                    return 0;
                }, cancellationToken);
                // As the real agent: a report the boot service answers "failed" starts no watch for updates.
                return;
            }

            running = assignment.ImageId;
            if (!await ReportHealthAsync(agent, assignment.ImageId, slot, Unhealthy.ContainsKey(name), cancellationToken))
                return;
        }
    }

    /// <summary>A simulated machine's hardware facts, as its agent registers them.</summary>
    public static HardwareFacts Facts(string mac) => new()
    {
        Firmware = "bios", Cpu = new CpuFacts("simulated", 2), MemoryBytes = 2L << 30,
        Disks = [new DiskFacts { Name = "vda", SizeBytes = 8L << 30 }], Nics = [new NicFacts { Name = "eth0", Mac = mac }], Dmi = new DmiFacts("QEMU", "simulated", null),
    };

    private static async Task<T> UntilAnsweredAsync<T>(Func<Task<T>> step, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await step();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(1000, cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        try
        {
            await Task.WhenAll(boots.Values);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync();
        await app.DisposeAsync();
        http.Dispose();
        stopping.Dispose();
    }
}
