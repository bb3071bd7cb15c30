using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.Loops;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.BootService.Health;

/// <summary>
/// Health for images without our agent: every few seconds, each machine that wrote such an image
/// and rebooted (booting, with <see cref="MachineRecord.DesiredHealth"/>) is probed from here, at
/// the address the boot service last saw it at — tcp connects, http GETs. All passing makes it
/// healthy, as its agent's report would; until then it stays booting, and the rollout's wave
/// timeout decides. What failed is kept as its last error (an event only when the reason changes),
/// so a timeout says why. A machine whose probes never pass is not failed from here: a slow
/// service is not a broken one before the operator's timeout says so.
/// </summary>
public sealed partial class HealthProber(IMachineInventory inventory, TimeProvider clock, ILogger<HealthProber> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);
    private const int Concurrency = 64;
    private static readonly HttpClient Http = new(new SocketsHttpHandler { ConnectTimeout = ProbeTimeout, UseProxy = false, AllowAutoRedirect = false }) { Timeout = ProbeTimeout };

    private readonly SemaphoreSlim oneRound = new(1, 1);

    public RetryPacer Pacer { get; } = new("bootsvc: probing machines' health", line => LogLoop(logger, line), clock, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        BackgroundLoop.RunAsync(Pacer, Interval, RoundAsync, clock, stoppingToken);

    /// <summary>One round: every machine awaiting its probes, up to <see cref="Concurrency"/> at once; never two rounds at a time.</summary>
    public async Task RoundAsync(CancellationToken cancellationToken)
    {
        await oneRound.WaitAsync(cancellationToken);
        try
        {
            var machines = await inventory.AwaitingProbesAsync(cancellationToken);
            await Parallel.ForEachAsync(machines, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
                async (machine, ct) => await ProbeMachineAsync(machine, ct));
        }
        finally
        {
            oneRound.Release();
        }
    }

    private async Task ProbeMachineAsync(MachineRecord machine, CancellationToken cancellationToken)
    {
        string? problem;
        if (machine.Address is null || !IPAddress.TryParse(machine.Address, out var address))
        {
            problem = "no address known for it yet (the address its DHCP request or netboot came from)";
        }
        else
        {
            var failures = new List<string>();
            foreach (var probe in machine.DesiredHealth!)
            {
                if (await ProbeAsync(address, probe, cancellationToken) is { } failure)
                    failures.Add($"{probe} at {address}: {failure}");
            }

            problem = failures.Count == 0 ? null : string.Join("; ", failures);
            if (problem is null)
            {
                try
                {
                    await inventory.TransitionAsync(machine.Mac, MachineState.Healthy,
                        $"image {machine.CurrentImage} healthy by probes from outside at {address}: {string.Join(", ", machine.DesiredHealth!)} passed",
                        m => m.State == MachineState.Booting && m.CurrentImage == machine.CurrentImage ? m with { LastError = null } : throw new InvalidTransitionException(m.State, MachineState.Healthy),
                        cancellationToken);
                }
                catch (InvalidTransitionException)
                {
                    // It moved on meanwhile (set to deploy again): nothing to say about this boot.
                }

                return;
            }
        }

        var reason = $"not healthy yet: {problem}";
        if (machine.LastError != reason)
            await inventory.UpdateAsync(machine.Mac, MachineEventKind.Probe, reason, m => m.State == MachineState.Booting ? m with { LastError = reason } : m, cancellationToken);
    }

    /// <summary>What failed, in words, or null when the probe passed.</summary>
    public static async Task<string?> ProbeAsync(IPAddress address, HealthProbe probe, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            if (probe.Kind == HealthProbe.Tcp)
            {
                using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(address, probe.Port), timeout.Token);
                return null;
            }

            var host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
            using var response = await Http.GetAsync($"http://{host}:{probe.Port}{probe.Path ?? "/"}", timeout.Token);
            var status = (int)response.StatusCode;
            var expected = probe.Status ?? 200;
            if (status != expected)
                return $"status {status}, not {expected}";
            if (probe.Body is { } pattern)
            {
                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                if (!Regex.IsMatch(body, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
                    return $"status {status} but the body does not match /{pattern}/";
            }

            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused (nothing listens)" : e.Message;
        }
        catch (HttpRequestException e)
        {
            return e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } ? "connection refused (nothing listens)" : e.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {ProbeTimeout.TotalSeconds:0} s";
        }
    }

    [LoggerMessage(120, LogLevel.Warning, "{Line}")]
    private static partial void LogLoop(ILogger logger, string line);
}
