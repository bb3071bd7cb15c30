using System.Diagnostics;
using System.Net.Http.Headers;
using ImagePipeline.Agent.Delta;
using ImagePipeline.Agent.Deploy;
using ImagePipeline.Agent.Hardware;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Agent.Writing;

namespace ImagePipeline.Agent.Slots;

/// <summary>
/// <c>imagepipe-agent update [--no-reboot]</c>, run inside a running image with A/B slots (and by
/// the report agent every so often, <see cref="Report.ReportCommand"/>): ask the boot service that
/// deployed the machine (the agent configuration on its disk) for an image to write in place — it
/// has one only when the machine's desired image is set with mode in-place; when there is one, write it
/// into the inactive slot (<see cref="SlotUpdater"/>), report the write, and reboot into the slot's
/// trial boot. No netboot, no BMC. Exit 0 updated (or nothing to do), 1 refused (the running slot
/// and its boot untouched).
/// </summary>
public static class UpdateCommand
{
    public static async Task<int> RunAsync(bool reboot, CancellationToken cancellationToken)
    {
        var system = RunningSystem.Find(await File.ReadAllTextAsync("/proc/cmdline", cancellationToken));
        if (system is null)
        {
            Say("no agent configuration on any disk (not deployed by a boot service): nothing to update from");
            return 1;
        }

        return await UpdateAsync(system, reboot, quiet: false, cancellationToken);
    }

    /// <param name="quiet">say nothing when there is nothing to do (the report agent asks every so often)</param>
    public static async Task<int> UpdateAsync(RunningSystem system, bool reboot, bool quiet, CancellationToken cancellationToken)
    {
        var config = system.Config;
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = Timeout.InfiniteTimeSpan };
        using var api = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var client = new BootServiceClient(api, new Uri(config.Server), config.Token);
        var registration = await client.RegisterAsync(new RegisterRequest
        {
            AgentVersion = DeployCommand.AgentVersion, Facts = new HardwareFactsReader().Read(), FromRunningSystem = true,
        }, cancellationToken);
        if (registration.Assignment is not { } assignment)
        {
            if (!quiet)
                Say($"no image to write in place for this machine: it stays on image {config.ImageIn(system.Slot)}");
            return 0;
        }

        var watch = Stopwatch.StartNew();
        try
        {
            if (assignment.Delta is not { } delta)
                throw new DeployRefusedException($"image {assignment.ImageId} has no chunk index; an in-place update needs one: reimage the machine");
            var options = new WriteOptions { TrustedPublicKeyPem = config.TrustKey, AllowUnsigned = config.AllowUnsigned };
            var request = new WriteRequest(new Uri(assignment.ImageUrl), assignment.Encoding, assignment.SizeBytes, assignment.Sha256, assignment.Signature);
            WriteGuards.CheckSignature(request, options);
            var writer = new DeltaWriter(new HttpChunkTransport(http, new AuthenticationHeaderValue("Bearer", config.Token)), options, TimeProvider.System);
            var (result, slot) = await new SlotUpdater(writer, Say).UpdateAsync(system, assignment.ImageId, request, delta,
                p => _ = client.ProgressAsync(new ProgressReport(p.Phase, p.BytesDone, p.BytesTotal, p.BytesPerSecond, p.EtaSeconds), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default),
                cancellationToken);
            Say($"written in place in {result.Elapsed.TotalSeconds:0.0} s: {result.ChunksFetched} chunks fetched ({result.BytesFetched / 1048576.0:0.0} MiB), {result.ChunksReused} already on the disk");
            await client.ResultAsync(new DeployResult
            {
                ImageId = assignment.ImageId, Succeeded = true, TargetDisk = $"{system.Disk} slot {slot}", Seconds = watch.Elapsed.TotalSeconds,
                Method = result.Method, BytesFetched = result.BytesFetched,
            }, cancellationToken);
        }
        catch (Exception e) when (e is DeployRefusedException or IOException or HttpRequestException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            Say($"refused: {e.Message}");
            try
            {
                await client.ResultAsync(new DeployResult { ImageId = assignment.ImageId, Succeeded = false, Reason = e.Message, TargetDisk = system.Disk, Seconds = watch.Elapsed.TotalSeconds }, cancellationToken);
            }
            catch (HttpRequestException report)
            {
                Say($"the refusal could not be reported: {report.Message}");
            }

            return 1;
        }

        if (!reboot)
        {
            Say("reported; the trial boot waits for the next reboot");
            return 0;
        }

        Say("reported; rebooting into the new slot");
        await Mounts.RebootAsync(cancellationToken);
        return 0;
    }

    private static void Say(string message) => Console.WriteLine($"imagepipeline-agent: {message}");
}
