namespace ImagePipeline.Cli.Demo;

/// <summary>
/// <c>imagepipe demo</c>: the whole chain on this machine, through the real server and its API.
/// A lab of six blank machines (three hardware variants, two racks) behind Redfish BMCs with the
/// real boot service on their network; the pipeline server on the embedded store, reaching them
/// through that boot service; a local git repository with the tiny recipe, registered as a
/// source; a build and the QEMU validation matrix; a promotion approved by a person in the web UI
/// (or unattended with --auto-approve), which signs the image; then a rollout in waves 1+2+3 to
/// a deploy environment that writes only images signed with the server's key. Ctrl-C stops the
/// server and removes the lab.
/// </summary>
public static class DemoSession
{
    public static async Task<int> RunAsync(string dataDirectory, bool autoApprove, string listen, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        Say($"ImagePipeline demo: build → validate → approve → roll out in waves onto six lab machines (data in {dataDirectory})");
        var repository = await DemoRepository.EnsureAsync(DemoRepository.PathIn(dataDirectory), cancellationToken);
        await using var pipeline = await LabPipeline.StartAsync(dataDirectory, new PipelineRecipes("demo", repository, "tiny"), listen, "demo", Say, cancellationToken);
        if (pipeline is null)
            return ExitCodes.Failed;
        try
        {
            var run = await pipeline.RunAsync(null, null, cancellationToken);
            if (run["state"]!.GetValue<string>() is not ("candidate" or "unchanged") || run["imageId"]?.GetValue<string>() is not { } image)
            {
                Say($"demo failed: run {run["id"]} {run["state"]}: {run["error"]}");
                return ExitCodes.Failed;
            }

            if (!await pipeline.ApproveAsync(image, autoApprove, emergency: false, cancellationToken))
                return ExitCodes.Failed;
            await pipeline.RegisterMachinesAsync(cancellationToken);
            var healthy = (await pipeline.RollOutAsync(image, emergency: false, null, cancellationToken))["state"]!.GetValue<string>() == "completed";
            Console.WriteLine();
            Say(healthy
                ? $"demo done in {(DateTimeOffset.UtcNow - started).TotalMinutes:0.0} min: image {image[..12]} was built, validated, approved, signed, and is healthy on six machines."
                : "demo failed: the rollout did not complete (its page in the web UI says why).");
            if (!autoApprove && healthy)
            {
                Say($"the web UI stays up at {pipeline.Url} — Ctrl-C stops the server and removes the lab");
                await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            return healthy ? ExitCodes.Success : ExitCodes.Failed;
        }
        finally
        {
            Say("removing the lab");
        }
    }

    private static void Say(string line) => Console.WriteLine($"demo: {line}");
}
