using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ImagePipeline.BootService.Files;
using ImagePipeline.BootService.Tftp;
using ImagePipeline.Validation.Harness;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench tftp</c>: a 64 MiB file over loopback with blksize 1468 (an Ethernet MTU's
/// worth), from our server with windowsize 16 and from tftpd-hpa (which has no windowsize, so
/// lockstep), fetched by the same client. Best of three each; goal: ours at least as fast.
/// </summary>
public static class TftpBenchmark
{
    private const long FileBytes = 64L << 20;
    private const int BlockSize = 1468;
    private const int WindowSize = 16;

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory("imagepipe-bench-tftp-");
        try
        {
            await BenchTable.WriteTestFileAsync(Path.Combine(scratch.FullName, "image.bin"), FileBytes, cancellationToken);
            await using var ours = new TftpServer(new BootFiles([scratch.FullName]), new TftpServerLimits(), NullLogger.Instance);
            ours.Start(IPAddress.Loopback, 0);
            var peerEndPoint = new IPEndPoint(IPAddress.Loopback, FreeUdpPort());
            await using var peer = await ChildProcess.StartQuietAsync("tftpd-hpa (apt-get install tftpd-hpa)",
                CliWrap.Cli.Wrap("in.tftpd").WithArguments(["-L", "-a", $"127.0.0.1:{peerEndPoint.Port}", "-s", scratch.FullName, "-u", "root"]), TimeSpan.FromMilliseconds(300), cancellationToken);

            var oursSeconds = double.MaxValue;
            var peerSeconds = double.MaxValue;
            for (var round = 1; round <= 3; round++)
            {
                var a = await TimeAsync(ours.LocalEndPoint, cancellationToken);
                var b = await TimeAsync(peerEndPoint, cancellationToken);
                Console.WriteLine($"round {round}: ours {Rate(a)}, tftpd-hpa {Rate(b)}");
                oursSeconds = Math.Min(oursSeconds, a);
                peerSeconds = Math.Min(peerSeconds, b);
            }

            BenchTable.Header();
            BenchTable.Row("tftp 64 MiB loopback, blksize 1468", Rate(oursSeconds), Rate(peerSeconds), peerSeconds / oursSeconds, ">= 1.0x vs tftpd-hpa");
            return ExitCodes.Success;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static async Task<double> TimeAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var download = await TftpClient.DownloadAsync(server, "image.bin", Stream.Null, BlockSize, WindowSize, cancellationToken: cancellationToken);
        var seconds = watch.Elapsed.TotalSeconds;
        if (download.Bytes != FileBytes)
            throw new InvalidOperationException($"TFTP from {server} delivered {download.Bytes} bytes, not {FileBytes}");
        return seconds;
    }

    private static string Rate(double seconds) => $"{FileBytes / seconds / 1e6:0.0} MB/s";

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
