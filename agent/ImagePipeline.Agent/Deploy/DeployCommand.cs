using System.Diagnostics;
using System.Runtime.InteropServices;
using ImagePipeline.Agent.Delta;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Agent.Hardware;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Agent.Transport;
using ImagePipeline.Agent.Writing;
using ImagePipeline.Loops;

namespace ImagePipeline.Agent.Deploy;

/// <summary>
/// <c>imagepipe-agent deploy</c>, started by the deploy environment's init: register with the
/// hardware facts, take the assignment, choose the disk, write and verify the image, report, and
/// reboot into it. Without an assignment (discovery) it powers the machine off. A refusal is
/// reported with its reason and the machine reboots, so the boot service decides what comes next.
/// </summary>
public static partial class DeployCommand
{
    public const string AgentVersion = "1";
    private const string TrustKeyPath = "/etc/imagepipeline/trust.pem";
    private const string AllowUnsignedPath = "/etc/imagepipeline/allow-unsigned";

    public static async Task<int> RunAsync(bool stayUp, CancellationToken cancellationToken)
    {
        try
        {
            return await DeployAsync(stayUp, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever went wrong (the boot service gone for good, a timeout, a key that cannot be read),
            // the machine never stops at a root shell on its console without a word: it says why and
            // reboots, and the boot service decides what it netboots next.
            Say($"failed: {e.GetType().Name}: {e.Message}; rebooting in 30 s");
            await Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None);
            return Finish(stayUp, powerOff: false, exitCode: 1);
        }
    }

    private static async Task<int> DeployAsync(bool stayUp, CancellationToken cancellationToken)
    {
        var cmdline = KernelCommandLine.Parse(await File.ReadAllTextAsync("/proc/cmdline", cancellationToken));
        // No overall timeout (an image takes what it takes), but a connect that hangs is given up:
        // the download then backs off and asks again.
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = Timeout.InfiniteTimeSpan };
        using var api = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var client = new BootServiceClient(api, cmdline.Server, cmdline.Token);
        var reader = new HardwareFactsReader();
        var facts = reader.Read();
        Say($"registering with {cmdline.Server}: {facts.Firmware}, {facts.Cpu.Cores} cores, {facts.MemoryBytes >> 20} MiB, disks {string.Join(", ", facts.Disks.Select(d => $"{d.Name} {d.SizeBytes >> 20} MiB"))}");
        var registration = await RetryAsync(() => client.RegisterAsync(new RegisterRequest { AgentVersion = AgentVersion, Facts = facts }, cancellationToken), cancellationToken);
        if (registration.Assignment is not { } assignment)
        {
            Say("registered; no image assigned to this machine: powering off");
            return Finish(stayUp, powerOff: true);
        }

        var watch = Stopwatch.StartNew();
        string? device = null;
        try
        {
            var disk = TargetDiskSelector.Select(facts.Disks, assignment.Target, assignment.SizeBytes, reader.MountedDisks());
            device = "/dev/" + disk.Name;
            Say($"writing image {assignment.ImageId} ({assignment.SizeBytes >> 20} MiB) to {device}");
            var options = new WriteOptions
            {
                TrustedPublicKeyPem = File.Exists(TrustKeyPath) ? await File.ReadAllTextAsync(TrustKeyPath, cancellationToken) : null,
                AllowUnsigned = File.Exists(AllowUnsignedPath),
                VerifyAfterWrite = assignment.VerifyAfterWrite,
            };
            using var link = CarrierLinkMonitor.ForMac(cmdline.Mac);
            options = options with { Link = link };
            using var target = BlockDevice.Open(device);
            var request = new WriteRequest(new Uri(assignment.ImageUrl), assignment.Encoding, assignment.SizeBytes, assignment.Sha256, assignment.Signature);
            // For the report agent in the new image: where to report, as whom, and which image it is.
            var config = new AgentConfig(cmdline.Server.ToString(), cmdline.Token, cmdline.Mac ?? "", assignment.ImageId)
            {
                TrustKey = options.TrustedPublicKeyPem, AllowUnsigned = options.AllowUnsigned,
            };
            int? grown = null;
            HeadFinisher finish = (head, disk) =>
            {
                if (assignment.GrowRoot)
                    grown = GptGrower.Grow(head, disk);
                AgentConfigBlock.Write(head, config);
            };
            var authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", cmdline.Token);
            // A disk that holds an image already (the one being replaced) is a seed: only the chunks it lacks are fetched.
            var result = assignment.Delta is { } delta
                ? await new DeltaWriter(new HttpChunkTransport(http, authorization), options, TimeProvider.System)
                    .TryWriteAsync(request, delta, target, p => Report(client, p, cancellationToken), finish, Say, cancellationToken)
                : null;
            result ??= await new ImageWriter(new HttpImageTransport(http, authorization), options, TimeProvider.System)
                .WriteAsync(request, target, p => Report(client, p, cancellationToken), finish, cancellationToken);
            if (grown is { } partition)
                Say($"partition {partition} grown to the end of {device}");
            target.RereadPartitionTable();
            Say(result.Method == "delta"
                ? $"written in {result.Elapsed.TotalSeconds:0.0} s by delta: {result.ChunksFetched} chunks fetched ({result.BytesFetched / 1048576.0:0.0} MiB), {result.ChunksReused} already on the disk"
                : $"written in {result.Elapsed.TotalSeconds:0.0} s ({result.SizeBytes / result.Elapsed.TotalSeconds / 1e6:0} MB/s, {result.BytesFetched / 1048576.0:0.0} MiB fetched, {result.Resumes} resumes)");
            await RetryAsync(async () =>
            {
                await client.ResultAsync(new DeployResult
                {
                    ImageId = assignment.ImageId, Succeeded = true, TargetDisk = device, Seconds = watch.Elapsed.TotalSeconds,
                    Method = result.Method, BytesFetched = result.BytesFetched,
                }, cancellationToken);
                return 0;
            }, cancellationToken);
            Say("reported; rebooting into the new image");
            return Finish(stayUp, powerOff: false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Refused (signature, hash, disk), or failed (I/O, a timeout, the key): reported with the reason, then a reboot.
            Say($"refused: {e.Message}");
            await RetryAsync(async () =>
            {
                await client.ResultAsync(new DeployResult { ImageId = assignment.ImageId, Succeeded = false, Reason = e.Message, TargetDisk = device, Seconds = watch.Elapsed.TotalSeconds }, cancellationToken);
                return 0;
            }, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
            return Finish(stayUp, powerOff: false, exitCode: 1);
        }
    }

    /// <summary>Progress goes out without holding up the writer; a lost report is replaced a second later.</summary>
    private static void Report(BootServiceClient client, WriteProgress progress, CancellationToken cancellationToken) =>
        _ = client.ProgressAsync(new ProgressReport(progress.Phase, progress.BytesDone, progress.BytesTotal, progress.BytesPerSecond, progress.EtaSeconds), cancellationToken)
            .ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>
    /// A call to the boot service, tried again while it is unreachable or times out: the product's
    /// backoff (1 s doubling to 10 s, with jitter), one line per distinct error, for up to ten minutes.
    /// </summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var pacer = new RetryPacer("imagepipeline-agent: the boot service", Console.WriteLine, TimeProvider.System, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var result = await call();
                pacer.Succeeded();
                return result;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested && deadline.Elapsed < RetryFor)
            {
                await pacer.FailedAsync(e, cancellationToken);
            }
        }
    }

    private static readonly TimeSpan RetryFor = TimeSpan.FromMinutes(10);

    private static int Finish(bool stayUp, bool powerOff, int exitCode = 0)
    {
        if (stayUp)
            return exitCode;
        sync();
        // LINUX_REBOOT_CMD_POWER_OFF / LINUX_REBOOT_CMD_RESTART: we are init's child in a RAM disk; nothing to unmount.
        if (reboot(powerOff ? 0x4321FEDCu : 0x01234567u) != 0)
            Say($"reboot(2) failed (errno {Marshal.GetLastPInvokeError()}); is the agent running as root in the deploy environment?");
        return exitCode;
    }

    private static void Say(string message) => Console.WriteLine($"imagepipeline-agent: {message}");

    [LibraryImport("libc")]
    private static partial void sync();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int reboot(uint command);
}
