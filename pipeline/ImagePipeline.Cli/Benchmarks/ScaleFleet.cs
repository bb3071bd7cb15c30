using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ImagePipeline.Agent.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>bench scale</c>'s machines: thousands of simulated machines behind one Redfish service (the
/// BMC network), each at a site with the real boot service of that site. On a reset a machine
/// does what a real one does, over real HTTP, with its own scripted timing: firmware start, its
/// boot script, the deploy agent's register and (after writing) its result, the reboot, the boot
/// script again, the boot, and the report agent's health report (a few machines come up with a
/// failed unit). A request that fails is counted as an HTTP error and tried again a second later,
/// as the agents do. The times a machine was reset and ended are kept for the figures.
/// </summary>
internal sealed partial class ScaleFleet : IAsyncDisposable
{
    /// <summary>One machine in this many comes up with a failed unit.</summary>
    public const int OneFailingIn = 500;

    private readonly WebApplication redfish;
    private readonly Dictionary<string, SimulatedMachine> machines;
    private readonly Dictionary<string, HttpClient> bootServices;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentBag<Task> running = [];
    private readonly ConcurrentQueue<string> errors = new();
    private int errorCount;

    private ScaleFleet(WebApplication redfish, Dictionary<string, SimulatedMachine> machines, Dictionary<string, HttpClient> bootServices)
    {
        this.redfish = redfish;
        this.machines = machines;
        this.bootServices = bootServices;
    }

    public IReadOnlyCollection<SimulatedMachine> Machines => machines.Values;

    public Uri RedfishUrl => new(redfish.Urls.First());

    /// <summary>Failed HTTP requests of the machines (each then tried again).</summary>
    public int Errors => Volatile.Read(ref errorCount);

    /// <summary>The first few failed requests, in words.</summary>
    public IEnumerable<string> FirstErrors => errors;

    /// <summary>
    /// <paramref name="count"/> machines spread evenly over the sites (name SITE-NNNNN, racks of 40),
    /// their timing drawn from a fixed seed: firmware 3–6 s, writing the image 20–40 s, reboot 5–10 s,
    /// boot to the health report 5–10 s (33–66 s in all, the lab's machines' order of magnitude).
    /// </summary>
    public static async Task<ScaleFleet> StartAsync(IReadOnlyList<(string Site, Uri BootService)> sites, int count, CancellationToken cancellationToken)
    {
        var random = new Random(20261206);
        var all = new Dictionary<string, SimulatedMachine>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var (site, _) = sites[i % sites.Count];
            var name = $"{site}-{i / sites.Count:00000}";
            var timing = new MachineTiming(Between(random, 3, 6), Between(random, 20, 40), Between(random, 5, 10), Between(random, 5, 10));
            all[name] = new SimulatedMachine(name, $"52:54:{i >> 24 & 0xff:x2}:{i >> 16 & 0xff:x2}:{i >> 8 & 0xff:x2}:{i & 0xff:x2}", site,
                $"{site}-r{i / sites.Count / 40:000}", timing, Unhealthy: i % OneFailingIn == OneFailingIn / 2);
        }

        var clients = sites.ToDictionary(s => s.Site, s => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 })
        {
            BaseAddress = s.BootService, Timeout = TimeSpan.FromSeconds(30),
        }, StringComparer.Ordinal);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fleet = new ScaleFleet(app, all, clients);
        app.MapSimulatedBmcs(all.ContainsKey, id =>
        {
            var machine = all[id];
            machine.ResetAt(Stopwatch.GetTimestamp());
            fleet.running.Add(Task.Run(() => fleet.PowerOnAsync(machine, fleet.stopping.Token)));
        });
        await app.StartAsync(cancellationToken);
        return fleet;
    }

    private static TimeSpan Between(Random random, double low, double high) => TimeSpan.FromSeconds(low + random.NextDouble() * (high - low));

    /// <summary>The machines as <c>POST /api/v1/machines/batch</c> takes them.</summary>
    public IEnumerable<object> Registrations() => machines.Values.Select(m => new
    {
        name = m.Name, mac = m.Mac, variant = "bios-virtio", site = m.Site, rack = m.Rack, labels = new Dictionary<string, string> { ["fleet"] = "bench-scale" },
        bmcUrl = RedfishUrl.ToString(), bmcSystem = SimulatedBmcs.SystemPath(m.Name),
    });

    [GeneratedRegex(@"imagepipeline\.token=(\S+)")]
    private static partial Regex TokenOnCommandLine();

    private async Task PowerOnAsync(SimulatedMachine machine, CancellationToken cancellationToken)
    {
        var bootService = bootServices[machine.Site];
        var timing = machine.Timing;
        await Task.Delay(timing.Firmware, cancellationToken);
        var script = await UntilAnsweredAsync(machine, "boot script", () => bootService.GetStringAsync($"boot/{machine.Mac}.ipxe", cancellationToken), cancellationToken);
        if (TokenOnCommandLine().Match(script) is not { Success: true } token)
        {
            Failed(machine, "boot script", $"no deploy environment in its boot script: {script.Trim()}");
            return;
        }

        var bearer = new AuthenticationHeaderValue("Bearer", token.Groups[1].Value);
        var registration = await UntilAnsweredAsync(machine, "register", async () =>
        {
            using var response = await SendAsync(bootService, AgentRoutes.Register, bearer,
                JsonContent.Create(new RegisterRequest { AgentVersion = "bench", Facts = Facts(machine.Mac) }, ProtocolJson.Default.RegisterRequest), cancellationToken);
            return (await response.Content.ReadFromJsonAsync(ProtocolJson.Default.RegisterResponse, cancellationToken))!;
        }, cancellationToken);
        if (registration.Assignment is not { } assignment)
        {
            Failed(machine, "register", "registered without an assignment");
            return;
        }

        await Task.Delay(timing.Write, cancellationToken);
        await UntilAnsweredAsync(machine, "result", async () =>
        {
            using var response = await SendAsync(bootService, AgentRoutes.Result, bearer, JsonContent.Create(new DeployResult
            {
                ImageId = assignment.ImageId, Succeeded = true, TargetDisk = "/dev/sda", Seconds = timing.Write.TotalSeconds,
            }, ProtocolJson.Default.DeployResult), cancellationToken);
            return 0;
        }, cancellationToken);
        await Task.Delay(timing.Reboot, cancellationToken);
        await UntilAnsweredAsync(machine, "boot script after the write", () => bootService.GetStringAsync($"boot/{machine.Mac}.ipxe", cancellationToken), cancellationToken);
        await Task.Delay(timing.Boot, cancellationToken);
        var state = await UntilAnsweredAsync(machine, "health", async () =>
        {
            using var response = await SendAsync(bootService, AgentRoutes.Health, bearer, JsonContent.Create(new HealthReport
            {
                ImageId = assignment.ImageId, Kernel = "6.1.0-simulated", BootSeconds = timing.Boot.TotalSeconds, FailedUnits = machine.Unhealthy ? ["app.service"] : [], Checks = [],
            }, ProtocolJson.Default.HealthReport), cancellationToken);
            return (await response.Content.ReadFromJsonAsync(ProtocolJson.Default.HealthAcknowledgement, cancellationToken))!.State;
        }, cancellationToken);
        machine.Ended(Stopwatch.GetTimestamp(), state == "healthy");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string route, AuthenticationHeaderValue bearer, HttpContent content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route.TrimStart('/')) { Content = content };
        request.Headers.Authorization = bearer;
        var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            response.Dispose();
            throw new HttpRequestException($"{(int)response.StatusCode} {body}", null, response.StatusCode);
        }

        return response;
    }

    private async Task<T> UntilAnsweredAsync<T>(SimulatedMachine machine, string step, Func<Task<T>> send, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await send();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Failed(machine, step, e.Message);
                await Task.Delay(1000, cancellationToken);
            }
        }
    }

    private void Failed(SimulatedMachine machine, string step, string error)
    {
        if (Interlocked.Increment(ref errorCount) <= 10)
            errors.Enqueue($"{machine.Name} {step}: {error}");
    }

    private static HardwareFacts Facts(string mac) => new()
    {
        Firmware = "bios", Cpu = new CpuFacts("simulated", 16), MemoryBytes = 64L << 30,
        Disks = [new DiskFacts { Name = "sda", SizeBytes = 480L << 30 }], Nics = [new NicFacts { Name = "eth0", Mac = mac }], Dmi = new DmiFacts("bench", "simulated", null),
    };

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        try
        {
            await Task.WhenAll(running);
        }
        catch (OperationCanceledException)
        {
        }

        await redfish.StopAsync();
        await redfish.DisposeAsync();
        foreach (var client in bootServices.Values)
            client.Dispose();
        stopping.Dispose();
    }
}
