using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ImagePipeline.Cli.Lab;
using ImagePipeline.Cli.Output;
using ImagePipeline.Server;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Hosting;
using ImagePipeline.Server.Promotion;
using ImagePipeline.Server.State;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Lab;
using ImagePipeline.Validation.Profiles;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

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
    private static readonly string[] Profiles = ["bios-scsi-rtl8139", "uefi-nvme", "uefi-sata-e1000", "bios-scsi-rtl8139", "uefi-nvme", "uefi-sata-e1000"];
    private const string Site = "demo";

    public static async Task<int> RunAsync(string dataDirectory, bool autoApprove, string listen, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        Say($"ImagePipeline demo: build → validate → approve → roll out in waves onto six lab machines (data in {dataDirectory})");
        var agent = await AgentBinary.EnsurePublishedAsync(cancellationToken);
        // One ladder step keeps the demo to one approval: candidate → production.
        var options = new ServerOptions { DataDirectory = dataDirectory, ReportAgent = agent, Channels = "production:1" };
        string publicKey;
        using (var signer = new ImageSigner(options))
            publicKey = signer.PublicKeyPem;
        var deploy = await LabSetup.EnsureDeployEnvironmentAsync(dataDirectory, cancellationToken, publicKey);
        if (deploy is null)
            return ExitCodes.Failed;

        var scratch = Directory.CreateTempSubdirectory("imagepipe-demo-lab-");
        try
        {
            Say($"starting six lab machines ({string.Join(", ", Profiles.Distinct())}, two of each) with the boot service on their network");
            var labOptions = LabSetup.Options(dataDirectory, [.. Profiles.Select(HardwareProfiles.Get)], scratch.FullName, deploy, "demo");
            await using var lab = await LabController.StartAsync(labOptions, 0, cancellationToken);
            await using var server = ServerHost.Build(options with { BootServiceUrl = lab.Fleet.BootServiceUrl, BootServiceToken = labOptions.AdminToken }, [listen], quiet: true);
            await server.StartAsync(cancellationToken);
            var url = new Uri(server.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
            var databases = server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>();
            using var demo = await DemoAccounts.ClientAsync(databases, url, DemoAccounts.Operator, [Roles.Builder, Roles.Operator], cancellationToken);
            Say($"pipeline server at {url} (the web UI; the API under /api/v1)");

            var image = await CandidateAsync(demo, await DemoRepository.EnsureAsync(dataDirectory, cancellationToken), cancellationToken);
            if (image is null)
                return ExitCodes.Failed;
            if (!await ApprovedAsync(demo, databases, url, image, autoApprove, cancellationToken))
                return ExitCodes.Failed;

            await RegisterMachinesAsync(demo, lab, cancellationToken);
            var healthy = await RollOutAsync(demo, image, cancellationToken);
            Console.WriteLine();
            Say(healthy
                ? $"demo done in {(DateTimeOffset.UtcNow - started).TotalMinutes:0.0} min: image {image[..12]} was built, validated, approved, signed, and is healthy on six machines."
                : "demo failed: the rollout did not complete (its page in the web UI says why).");
            if (!autoApprove && healthy)
            {
                Say($"the web UI stays up at {url} — Ctrl-C stops the server and removes the lab");
                await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            return healthy ? ExitCodes.Success : ExitCodes.Failed;
        }
        finally
        {
            Say("removing the lab");
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>The source registered (once), a build of tiny, its log followed; the image version's id, or null when the run failed.</summary>
    private static async Task<string?> CandidateAsync(HttpClient demo, string repository, CancellationToken cancellationToken)
    {
        var registered = await demo.PostAsJsonAsync("/api/v1/sources", new { name = "demo", url = repository, branch = "main" }, cancellationToken);
        if (registered.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict))
            throw new InvalidOperationException($"registering the demo's recipes failed: {(int)registered.StatusCode} {await registered.Content.ReadAsStringAsync(cancellationToken)}");
        Say($"recipes: the git repository {repository} (commit to it and run the demo again to build your change)");
        await Retry.UntilAsync("the server to list the demo's recipe 'tiny'", async ct =>
            (await demo.GetStringAsync("/api/v1/recipes", ct)).Contains("\"tiny\"", StringComparison.Ordinal) ? null : "not discovered yet",
            TimeSpan.FromMinutes(2), cancellationToken: cancellationToken);

        var run = JsonNode.Parse(await (await demo.PostAsync("/api/v1/recipes/tiny/runs", null, cancellationToken)).Content.ReadAsStringAsync(cancellationToken))!;
        var id = run["id"]!.GetValue<long>();
        Say($"run {id}: build and validate tiny (log: {demo.BaseAddress}runs/{id})");
        var code = await RunLogFollower.FollowAsync(demo, id, cancellationToken, prefix: "  ");
        var finished = JsonNode.Parse(await demo.GetStringAsync($"/api/v1/runs/{id}", cancellationToken))!;
        if (code != ExitCodes.Success)
        {
            Say($"demo failed: run {id} {finished["state"]}: {finished["error"]}");
            return null;
        }

        return finished["imageId"]!.GetValue<string>();
    }

    /// <summary>The image in production (signed): asked for by "demo", approved by a person in the web UI, or by "demo-approver" with --auto-approve.</summary>
    private static async Task<bool> ApprovedAsync(HttpClient demo, IDbContextFactory<PipelineDb> databases, Uri url, string image, bool autoApprove, CancellationToken cancellationToken)
    {
        var version = JsonNode.Parse(await demo.GetStringAsync($"/api/v1/images/{image}", cancellationToken))!;
        if (version["signature"] is not null)
        {
            Say($"image {image[..12]} is in {version["channel"]} already (approved and signed on an earlier run)");
            return true;
        }

        var pending = JsonNode.Parse(await demo.GetStringAsync("/api/v1/promotions/?state=pending", cancellationToken))!.AsArray()
            .FirstOrDefault(p => p!["imageId"]!.GetValue<string>() == image);
        var promotion = pending ?? JsonNode.Parse(await (await demo.PostAsJsonAsync($"/api/v1/images/{image}/promotions",
            new { comment = "passed the validation matrix (imagepipe demo)" }, cancellationToken)).Content.ReadAsStringAsync(cancellationToken))!;
        var id = promotion["id"]!.GetValue<long>();
        if (autoApprove)
        {
            using var approver = await DemoAccounts.ClientAsync(databases, url, DemoAccounts.Approver, [Roles.Approver], cancellationToken);
            (await approver.PostAsJsonAsync($"/api/v1/promotions/{id}/approve", new { comment = "approved unattended (imagepipe demo --auto-approve)" }, cancellationToken)).EnsureSuccessStatusCode();
            Say($"promotion {id} approved by {DemoAccounts.Approver} (--auto-approve): image {image[..12]} is in production, signed");
            return true;
        }

        Console.WriteLine();
        Say($"waiting for your approval: open {url}promotions and approve promotion {id}");
        Say("  sign in as admin: on the first run, with the one-time password the server printed above (you then choose your own)");
        while (true)
        {
            var state = JsonNode.Parse(await demo.GetStringAsync($"/api/v1/promotions/{id}", cancellationToken))!["state"]!.GetValue<string>();
            if (state == "approved")
            {
                Say($"promotion {id} approved: image {image[..12]} is in production, signed");
                return true;
            }

            if (state == "rejected")
            {
                Say($"promotion {id} was rejected: nothing to roll out");
                return false;
            }

            await Task.Delay(1000, cancellationToken);
        }
    }

    /// <summary>The six lab machines in the server's registry (again on every run: the lab's MACs and BMC change).</summary>
    private static async Task RegisterMachinesAsync(HttpClient demo, RunningLab lab, CancellationToken cancellationToken)
    {
        foreach (var (machine, i) in lab.Fleet.Machines.Select((m, i) => (m, i)))
        {
            var response = await demo.PutAsJsonAsync($"/api/v1/machines/{machine.Id}", new
            {
                mac = machine.Mac, variant = Profiles[i], site = Site, rack = i < 3 ? "r1" : "r2", bmcUrl = lab.RedfishUrl.ToString(),
                bmcSystem = $"/redfish/v1/Systems/{machine.Id}", bmcUser = lab.Credentials.UserName, bmcPassword = lab.Credentials.Password,
            }, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"registering {machine.Id} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        Say($"six machines registered: {string.Join(", ", lab.Fleet.Machines.Select((m, i) => $"{m.Id} ({Profiles[i]}, rack {(i < 3 ? "r1" : "r2")})"))}");
    }

    private static async Task<bool> RollOutAsync(HttpClient demo, string image, CancellationToken cancellationToken)
    {
        var response = await demo.PostAsJsonAsync("/api/v1/rollouts", new
        {
            imageId = image, selector = new { site = Site }, plan = new { steps = "1+2+3", bakeSeconds = 5, waveTimeoutSeconds = 600 },
        }, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the rollout was refused: {(int)response.StatusCode} {body}");
        var rollout = JsonNode.Parse(body)!;
        var id = rollout["id"]!.GetValue<long>();
        Say($"rollout {id}: plan 1+2+3 ({RolloutProgress.Bars(rollout)}): watch it live at {demo.BaseAddress}rollouts/{id}");
        var progress = new RolloutProgress();
        while (true)
        {
            rollout = JsonNode.Parse(await demo.GetStringAsync($"/api/v1/rollouts/{id}", cancellationToken))!;
            if (progress.Show(rollout))
                return rollout["state"]!.GetValue<string>() == "completed";
            await Task.Delay(2000, cancellationToken);
        }
    }

    private static void Say(string line) => Console.WriteLine($"demo: {line}");
}
