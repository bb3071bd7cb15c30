using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using CliWrap;
using CliWrap.Buffered;

namespace ImagePipeline.Cli.Benchmarks;

/// <summary>
/// <c>imagepipe bench write</c>: a 2 GiB image (30% data, the rest zeros) served as zstd over
/// loopback by the boot service, written by the NativeAOT agent to a file and to a block device (a
/// loop device). Against the same target: dd of the raw image (the physical limit) and the anchors'
/// pipeline <c>curl | zstd -d | dd bs=4M</c>. Prints throughput, the two ratios and the agent's peak RSS.
/// </summary>
public static class WriteBenchmark
{
    private const long ImageBytes = 2L << 30;

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory("imagepipe-bench-write-");
        string? loop = null;
        try
        {
            var files = LoopbackBootService.FilesDirectory(scratch.FullName);
            Directory.CreateDirectory(files);
            var raw = Path.Combine(scratch.FullName, "image.raw");
            Console.WriteLine("making a 2 GiB image (30% data), its zstd stream and the agent...");
            var sha = await MakeImageAsync(raw, cancellationToken);
            await Run("zstd", ["-q", "-T2", "-3", "-f", raw, "-o", Path.Combine(files, "image.raw.zst")], cancellationToken);
            var agent = await AgentBinary.EnsurePublishedAsync(cancellationToken);

            await using var service = await LoopbackBootService.StartAsync(scratch.FullName, cancellationToken);
            var url = service.FileUrl("image.raw.zst");

            var fileTarget = Path.Combine(scratch.FullName, "target.img");
            var backing = Path.Combine(scratch.FullName, "loop-backing.img");
            await Run("truncate", ["-s", ImageBytes.ToString(CultureInfo.InvariantCulture), backing], cancellationToken);
            loop = (await CliWrap.Cli.Wrap("losetup").WithArguments(["-f", "--show", backing]).ExecuteBufferedAsync(cancellationToken)).StandardOutput.Trim();

            BenchTable.Header();
            Console.WriteLine($"block device: {loop}");
            foreach (var (name, target, isDevice) in new[] { ("file", fileTarget, false), ("loop device", loop, true) })
            {
                void Reset()
                {
                    if (!isDevice)
                        File.Delete(target);
                }

                // dd: the raw image, already decoded and on local disk. Sparse into a fresh file, direct to a device.
                Reset();
                var dd = await TimeAsync(() => Run("dd", [$"if={raw}", $"of={target}", "bs=4M", isDevice ? "oflag=direct" : "conv=sparse", "conv=fsync", "status=none"], cancellationToken));
                Reset();
                var pipe = await TimeAsync(() => Run("bash", ["-c", $"set -o pipefail; curl -sS {url} | zstd -dc | dd of={target} bs=4M {(isDevice ? "oflag=direct" : "conv=sparse")} conv=fsync status=none"], cancellationToken));
                Reset();
                var (ours, rss) = await RunAgentAsync(agent, url, sha, target, cancellationToken);
                var rate = $"{ImageBytes / ours / 1e6:0} MB/s";
                BenchTable.Row($"write to {name}: agent vs dd of raw", rate, $"{ImageBytes / dd / 1e6:0} MB/s", dd / ours, ">= 0.9x (physical limit)");
                BenchTable.Row($"write to {name}: agent vs curl|zstd|dd", rate, $"{ImageBytes / pipe / 1e6:0} MB/s", pipe / ours, ">= 1.5x (anchors' pipeline)");
                BenchTable.Row($"write to {name}: agent peak RSS", $"{rss / 1048576.0:0} MiB", "64 MiB", 64.0 * 1048576 / rss, "<= 64 MiB");
            }

            return ExitCodes.Success;
        }
        finally
        {
            if (loop is not null)
                await CliWrap.Cli.Wrap("losetup").WithArguments(["-d", loop]).WithValidation(CommandResultValidation.None).ExecuteAsync(CancellationToken.None);
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>Every tenth MiB block holds data in three of ten places; the rest stays a hole (reads as zeros).</summary>
    private static async Task<string> MakeImageAsync(string path, CancellationToken cancellationToken)
    {
        var block = RandomNumberGenerator.GetBytes(1 << 20);
        var zeros = new byte[1 << 20];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            file.SetLength(ImageBytes);
            for (var i = 0; i < ImageBytes >> 20; i++)
            {
                if (i % 10 < 3)
                {
                    block[0] = (byte)i;
                    file.Position = (long)i << 20;
                    await file.WriteAsync(block, cancellationToken);
                    hash.AppendData(block);
                }
                else
                {
                    hash.AppendData(zeros);
                }
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Runs the agent and samples its VmHWM (peak resident set) while it runs.</summary>
    private static async Task<(double Seconds, long PeakRss)> RunAgentAsync(string agent, string url, string sha, string target, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var run = CliWrap.Cli.Wrap(agent).WithArguments(["write", "--url", url, "--size", ImageBytes.ToString(CultureInfo.InvariantCulture), "--sha256", sha, "--target", target, "--allow-unsigned"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        long peak = 0;
        while (!run.Task.IsCompleted)
        {
            try
            {
                // On Linux the framework reads VmHWM from /proc/PID/status.
                using var process = Process.GetProcessById(run.ProcessId);
                peak = Math.Max(peak, process.PeakWorkingSet64);
            }
            catch (ArgumentException)
            {
                // It has just exited.
            }
            catch (InvalidOperationException)
            {
            }

            await Task.WhenAny(run.Task, Task.Delay(50, cancellationToken));
        }

        var result = await run;
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"the agent failed: {result.StandardError}");
        return (watch.Elapsed.TotalSeconds, peak);
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task Run(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var result = await CliWrap.Cli.Wrap(program).WithArguments(arguments).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {result.StandardError.Trim()}");
    }

}
