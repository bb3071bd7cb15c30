using ImagePipeline.Agent.Protocol;
using ImagePipeline.ArtifactStore;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Images;
using ImagePipeline.BootService.Inventory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.BootService.Http;

/// <summary>
/// The agent's API (paths in <see cref="AgentRoutes"/>). Every call is authenticated by the
/// machine's token (<c>Authorization: Bearer</c>), issued with its deploy script and bound to the
/// address that fetched it; the token names the machine, so an agent can only speak for itself,
/// and only from that machine. Its free text (a failure reason) never reaches a script unescaped.
/// </summary>
public static class AgentApi
{
    /// <param name="updateCheckInterval">how often the agent of a running image with A/B slots is to ask for an in-place update</param>
    public static IEndpointRouteBuilder MapAgentApi(this IEndpointRouteBuilder app, TimeSpan updateCheckInterval)
    {
        app.MapPost(AgentRoutes.Register, RegisterAsync);
        app.MapPost(AgentRoutes.Progress, ProgressAsync);
        app.MapPost(AgentRoutes.Result, ResultAsync);
        app.MapPost(AgentRoutes.Health, (HealthReport report, HttpContext http, IMachineInventory inventory, CancellationToken cancellationToken) =>
            HealthAsync(report, http, inventory, updateCheckInterval, cancellationToken));
        return app;
    }

    private static async Task<Results<Ok<RegisterResponse>, UnauthorizedHttpResult, ProblemHttpResult>> RegisterAsync(RegisterRequest request, HttpContext http,
        IMachineInventory inventory, IImageCatalog images, BootEndpoints endpoints, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(http, inventory, cancellationToken) is not { } machine)
            return TypedResults.Unauthorized();
        var nics = string.Join(", ", request.Facts.Nics.Select(n => n.Mac));
        machine = await inventory.UpdateAsync(machine.Mac, MachineEventKind.Registered,
            $"agent {request.AgentVersion}: {request.Facts.Firmware}, {request.Facts.Cpu.Cores} cores, {request.Facts.MemoryBytes >> 20} MiB, {request.Facts.Disks.Count} disks, NICs {nics}",
            m => m with { Facts = request.Facts, Firmware = request.Facts.Firmware }, cancellationToken);
        // A running system gets an image only to write in place, and once per desired image: one that
        // failed (refused, or fell back from its trial boot) waits for the desired image to be set again.
        if (!machine.NeedsDeploy || (request.FromRunningSystem && (!machine.UpdatesInPlace || (machine.State == MachineState.Failed && machine.DeployAttempts > 0))))
            return TypedResults.Ok(new RegisterResponse(machine.Id, null));
        // A site's boot service pulls the image's manifest, index and signatures the first time a machine needs them.
        if (http.RequestServices.GetService(typeof(SiteCache)) is SiteCache cache)
        {
            try
            {
                await cache.EnsureImageAsync(machine.DesiredImage!, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException or IOException)
            {
                // The agent asks again: a WAN outage delays the deployment, it does not fail the machine.
                return TypedResults.Problem($"this site's cache could not pull image {machine.DesiredImage} from the pipeline server: {e.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }
        var image = images.Find(machine.DesiredImage!);
        if (image is null)
        {
            var reason = $"desired image {machine.DesiredImage} is not in the artifact store; build or import it, then set the desired image again";
            await inventory.TransitionAsync(machine.Mac, MachineState.Failed, reason, m => m with { LastError = reason }, cancellationToken);
            return TypedResults.Ok(new RegisterResponse(machine.Id, null));
        }

        // Not netbooted into a deployment (the boot script moves those to deploying): the agent of the
        // machine's running system asks, to update it in place (A/B slots).
        if (machine.State != MachineState.Deploying)
            await inventory.TransitionAsync(machine.Mac, MachineState.Deploying, $"its running system (image {machine.CurrentImage ?? "unknown"}) takes image {image.Id} to update in place",
                m => m with { DeployAttempts = m.DeployAttempts + 1 }, cancellationToken);

        return TypedResults.Ok(new RegisterResponse(machine.Id, new Assignment
        {
            ImageId = image.Id,
            ImageUrl = $"{endpoints.HttpBase}/images/{image.StreamFile}",
            Encoding = "zstd",
            SizeBytes = image.SizeBytes,
            Sha256 = image.Id,
            Signature = image.Signature,
            Target = new TargetDiskRule(),
            GrowRoot = image.GrowRoot,
            VerifyAfterWrite = false,
            Delta = image.ChunkIndex is { } index
                ? new DeltaSource($"{endpoints.HttpBase}/images/{image.Id}/{ArtifactStoreLayout.ChunkIndex}", index.Sha256, index.Signature, $"{endpoints.HttpBase}/images/{image.Id}/chunks")
                : null,
        }));
    }

    private static async Task<Results<NoContent, UnauthorizedHttpResult>> ProgressAsync(ProgressReport report, HttpContext http,
        IMachineInventory inventory, DeployProgressBoard board, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(http, inventory, cancellationToken) is not { } machine)
            return TypedResults.Unauthorized();
        board.Record(machine.Mac, report, clock.GetUtcNow());
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, UnauthorizedHttpResult, Conflict<string>>> ResultAsync(DeployResult result, HttpContext http,
        IMachineInventory inventory, DeployProgressBoard board, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(http, inventory, cancellationToken) is not { } machine)
            return TypedResults.Unauthorized();
        board.Clear(machine.Mac);
        if (machine.State != MachineState.Deploying)
            return TypedResults.Conflict($"machine {machine.Mac} is {machine.State}, not deploying; a deploy result is only taken during a deployment");
        if (result.Succeeded && result.ImageId == machine.DesiredImage)
        {
            await inventory.TransitionAsync(machine.Mac, MachineState.Booting,
                $"wrote {result.ImageId} to {result.TargetDisk ?? "its disk"} in {result.Seconds:0.0} s{Moved(result)}; rebooting into it",
                m => m with
                {
                    CurrentImage = result.ImageId, DeployAttempts = 0, LastError = null,
                    LastDeploy = result.Method is { } method ? new LastDeploy(method, result.BytesFetched ?? 0) : null,
                }, cancellationToken);
        }
        else
        {
            var reason = result.Succeeded
                ? $"agent wrote {result.ImageId} but the desired image is {machine.DesiredImage}"
                : $"deploy failed: {result.Reason ?? "the agent gave no reason"}";
            await inventory.TransitionAsync(machine.Mac, MachineState.Failed, reason, m => m with { LastError = reason }, cancellationToken);
        }

        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<HealthAcknowledgement>, UnauthorizedHttpResult, Conflict<string>>> HealthAsync(HealthReport report, HttpContext http,
        IMachineInventory inventory, TimeSpan updateCheckInterval, CancellationToken cancellationToken)
    {
        if (await AuthenticateAsync(http, inventory, cancellationToken) is not { } machine)
            return TypedResults.Unauthorized();
        var reasons = new List<string>();
        var current = machine.CurrentImage;
        var attempts = machine.DeployAttempts;
        if (report.FellBackFrom is { } failed)
        {
            // An in-place update's trial boot failed and the machine's boot loaders went back to the slot it ran before.
            reasons.Add($"image {failed} did not come up healthy on its trial boot; the machine fell back to slot {report.Slot} (image {report.ImageId})");
            current = report.ImageId;
            // A failed attempt: the running system is not given this image again until it is set again.
            attempts = Math.Max(attempts, 1);
        }
        else if (report.ImageId != machine.CurrentImage)
        {
            reasons.Add($"booted image {report.ImageId}, but the deployed image is {machine.CurrentImage ?? "none"}");
        }
        reasons.AddRange(report.FailedUnits.Select(u => $"failed unit {u}"));
        reasons.AddRange(report.Checks.Where(c => !c.Passed).Select(c => $"check {c.Name} failed{(c.Detail is null ? "" : $": {c.Detail}")}"));
        var target = reasons.Count == 0 ? MachineState.Healthy : MachineState.Failed;
        if (!MachineLifecycle.CanMove(machine.State, target))
            return TypedResults.Conflict($"machine {machine.Mac} is {machine.State}; a health report cannot make it {target}");
        var detail = reasons.Count == 0
            ? $"image {report.ImageId} healthy: kernel {report.Kernel}, booted in {report.BootSeconds:0.0} s, {report.Checks.Count} checks passed, root verity-protected: {(report.RootVerity ? "yes" : "no")}"
            : string.Join("; ", reasons);
        machine = await inventory.TransitionAsync(machine.Mac, target, detail, m => m with { CurrentImage = current, Slot = report.Slot, DeployAttempts = attempts, LastError = reasons.Count == 0 ? null : detail }, cancellationToken);
        return TypedResults.Ok(new HealthAcknowledgement(machine.State.ToString().ToLowerInvariant(), reasons)
        {
            UpdateCheckSeconds = report.Slot is null ? null : (int)updateCheckInterval.TotalSeconds,
        });
    }

    /// <summary>How the image got there: the whole stream, or a delta and what it fetched.</summary>
    private static string Moved(DeployResult result) => result switch
    {
        { Method: "delta", BytesFetched: { } fetched } => $", delta: {fetched / 1048576.0:0.0} MiB fetched",
        { Method: "full", BytesFetched: { } fetched } => $", full image: {fetched / 1048576.0:0.0} MiB fetched",
        _ => "",
    };

    /// <summary>The machine whose token the call carries, when it comes from the address the token was issued to.</summary>
    internal static async Task<MachineRecord?> AuthenticateAsync(HttpContext http, IMachineInventory inventory, CancellationToken cancellationToken)
    {
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.Ordinal) || header.Length <= scheme.Length)
            return null;
        return await inventory.AuthenticateAsync(header[scheme.Length..].Trim(), BootScriptApi.RemoteAddress(http), cancellationToken);
    }
}
