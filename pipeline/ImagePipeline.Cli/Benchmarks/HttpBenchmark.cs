using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Validation.Harness;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench http</c>: a 1 GiB image over loopback from the boot service's HTTP file path
/// and from nginx (sendfile on), each fetched by curl to /dev/null. Best of three; goal: ours at
/// least 0.8x nginx.
/// </summary>
public static class HttpBenchmark
{
    private const long FileBytes = 1L << 30;

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory("imagepipe-bench-http-");
        try
        {
            var files = LoopbackBootService.FilesDirectory(scratch.FullName);
            Directory.CreateDirectory(files);
            await BenchTable.WriteTestFileAsync(Path.Combine(files, "image.raw"), FileBytes, cancellationToken);

            await using var ours = await LoopbackBootService.StartAsync(scratch.FullName, cancellationToken);

            var peerPort = LoopbackBootService.FreeTcpPort();
            var config = Path.Combine(scratch.FullName, "nginx.conf");
            await File.WriteAllTextAsync(config, $$"""
                daemon off;
                user root;
                worker_processes auto;
                pid {{scratch.FullName}}/nginx.pid;
                error_log {{scratch.FullName}}/nginx-error.log;
                events { worker_connections 64; }
                http {
                    access_log off;
                    sendfile on;
                    tcp_nopush on;
                    server { listen 127.0.0.1:{{peerPort}}; root {{files}}; }
                }
                """, cancellationToken);
            await using var nginx = await ChildProcess.StartQuietAsync("nginx (apt-get install nginx-light)", CliWrap.Cli.Wrap("nginx").WithArguments(["-c", config, "-p", scratch.FullName]),
                TimeSpan.FromMilliseconds(500), cancellationToken);

            var oursSeconds = double.MaxValue;
            var peerSeconds = double.MaxValue;
            for (var round = 1; round <= 3; round++)
            {
                var a = await FetchAsync(ours.FileUrl("image.raw"), cancellationToken);
                var b = await FetchAsync($"http://127.0.0.1:{peerPort}/image.raw", cancellationToken);
                Console.WriteLine($"round {round}: ours {Rate(a)}, nginx {Rate(b)}");
                oursSeconds = Math.Min(oursSeconds, a);
                peerSeconds = Math.Min(peerSeconds, b);
            }

            BenchTable.Header();
            BenchTable.Row("http 1 GiB image loopback (curl)", Rate(oursSeconds), Rate(peerSeconds), peerSeconds / oursSeconds, ">= 0.8x vs nginx");
            return ExitCodes.Success;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static async Task<double> FetchAsync(string url, CancellationToken cancellationToken)
    {
        var result = await CliWrap.Cli.Wrap("curl").WithArguments(["-sS", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", url])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        var fields = result.StandardOutput.Split(' ');
        if (result.ExitCode != 0 || fields.Length != 2 || long.Parse(fields[0], CultureInfo.InvariantCulture) != FileBytes)
            throw new InvalidOperationException($"curl {url} failed: {result.StandardError} {result.StandardOutput}");
        return double.Parse(fields[1], CultureInfo.InvariantCulture);
    }

    private static string Rate(double seconds) => $"{FileBytes / seconds / 1e6:0} MB/s";

}
