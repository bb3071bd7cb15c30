using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Networks;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench bootstorm</c>: N simulated machines netboot at once through the real
/// <c>imagepipe bootsvc</c> on a private bridge: DHCP (DISCOVER/OFFER/REQUEST/ACK as iPXE), the
/// per-machine script, then the deploy environment's kernel (8 MiB) and initrd (24 MiB). Prints
/// errors and the p50/p99 time from first DISCOVER to last byte; goal: 0 errors at 500.
/// </summary>
public static class BootstormBenchmark
{
    private const long KernelBytes = 8L << 20;
    private const long InitrdBytes = 24L << 20;

    public static async Task<int> RunAsync(int clients, CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory("imagepipe-bench-bootstorm-");
        try
        {
            var deploy = Path.Combine(scratch.FullName, "bootsvc", "files", "deploy");
            Directory.CreateDirectory(deploy);
            await BenchTable.WriteTestFileAsync(Path.Combine(deploy, "vmlinuz"), KernelBytes, cancellationToken);
            await BenchTable.WriteTestFileAsync(Path.Combine(deploy, "initrd.img"), InitrdBytes, cancellationToken);

            // A /21: room in the pool (its upper half, 1,023 addresses) for the whole storm.
            await using var network = await VirtualNetwork.CreateAsync("bootstorm", 21, cancellationToken);
            var clientNamespace = await network.AddClientNamespaceAsync("02:00:00:00:99:99", cancellationToken);
            await CliWrap.Cli.Wrap("ip").WithArguments(["-n", clientNamespace, "addr", "add", "10.213.0.9/21", "dev", "eth0"]).ExecuteAsync(cancellationToken);

            string[] self = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
                ? [Environment.ProcessPath!, typeof(BootstormBenchmark).Assembly.Location]
                : [Environment.ProcessPath!];
            await using var service = await ChildProcess.StartAsync("imagepipe bootsvc",
                network.Command(self[0], [.. self[1..], "bootsvc", "--interface", VirtualNetwork.Bridge, "--mode", "full", "--discovery", "--data", scratch.FullName]),
                "boot service ready", TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);

            await using var dhcp = new DhcpExchange(NamespaceSockets.CreateUdp(clientNamespace), new IPEndPoint(IPAddress.Parse("10.213.7.255"), DhcpServer.ServerPort));
            using var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = int.MaxValue,
                ConnectCallback = async (context, ct) =>
                {
                    var socket = NamespaceSockets.CreateTcp(clientNamespace);
                    socket.NoDelay = true;
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            }) { Timeout = TimeSpan.FromMinutes(5) };

            // The limit, measured first: one machine netbooting alone, the bridge all to itself.
            // (Its first run only warms up the JIT and the connection pool.)
            await new SimulatedBootClient([0x02, 0x42, 0xff, 0xff, 0xff, 0xfe], 0x0ffffffeu, dhcp, http).BootAsync(cancellationToken);
            var solo = await new SimulatedBootClient([0x02, 0x42, 0xff, 0xff, 0xff, 0xff], 0x0fffffffu, dhcp, http).BootAsync(cancellationToken);
            var soloRate = (KernelBytes + InitrdBytes) / solo.TotalSeconds;
            Console.WriteLine($"one machine alone: {solo.TotalSeconds:0.00} s ({soloRate / 1e6:0} MB/s)");
            Console.WriteLine($"boot storm: {clients} machines netbooting at once (DHCP, script, {KernelBytes >> 20} MiB kernel, {InitrdBytes >> 20} MiB initrd)");
            var wall = Stopwatch.StartNew();
            var runs = Enumerable.Range(0, clients).Select(async i =>
            {
                var mac = new byte[] { 0x02, 0x42, 0, 0, (byte)(i >> 8), (byte)i };
                try
                {
                    return (Seconds: (await new SimulatedBootClient(mac, 0x10000000u + (uint)i, dhcp, http).BootAsync(cancellationToken)).TotalSeconds, Error: (string?)null);
                }
                catch (Exception e) when (e is TimeoutException or HttpRequestException or InvalidOperationException or IOException or TaskCanceledException)
                {
                    return (Seconds: double.NaN, Error: e.Message);
                }
            }).ToList();
            var results = await Task.WhenAll(runs);
            wall.Stop();

            var times = results.Where(r => r.Error is null).Select(r => r.Seconds).Order().ToList();
            var errors = results.Where(r => r.Error is not null).ToList();
            foreach (var error in errors.Select(e => e.Error).Distinct().Take(5))
                Console.WriteLine($"error: {error}");
            var bytes = times.Count * (KernelBytes + InitrdBytes);
            Console.WriteLine($"{times.Count} booted, {errors.Count} errors, {dhcp.Retransmissions} DHCP retransmissions, {bytes / wall.Elapsed.TotalSeconds / 1e6:0} MB/s served, wall {wall.Elapsed.TotalSeconds:0.0} s");
            if (times.Count > 0)
            {
                Console.WriteLine($"time to boot files: p50 {Percentile(times, 50):0.00} s, p99 {Percentile(times, 99):0.00} s, max {times[^1]:0.00} s");
                var rate = bytes / wall.Elapsed.TotalSeconds;
                BenchTable.Header();
                BenchTable.Row($"bootstorm {clients}: errors", errors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), "0", errors.Count == 0 ? 1 : 0, "0 errors at 500");
                BenchTable.Row($"bootstorm {clients}: p50 / p99 to boot files", $"{Percentile(times, 50):0.0} s", $"{Percentile(times, 99):0.0} s",
                    Percentile(times, 99) / Percentile(times, 50), "p50, p99 printed");
                BenchTable.Row($"bootstorm {clients}: served vs one machine alone", $"{rate / 1e6:0} MB/s", $"{soloRate / 1e6:0} MB/s", rate / soloRate, "the bridge kept busy");
            }

            return errors.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static double Percentile(List<double> sorted, int percentile) =>
        sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
