using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ImagePipeline.Cli.Lab;
using ImagePipeline.Cli.Output;
using ImagePipeline.Server;
using ImagePipeline.Server.Api;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Hosting;
using ImagePipeline.Server.Promotion;
using ImagePipeline.Server.State;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Profiles;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Cli.Demo;

/// <summary>
/// The whole chain on this machine, driven through the real server's API like any script: six
/// blank lab machines (three hardware variants, two racks) behind Redfish BMCs with the real boot
/// service on their network, the pipeline server on the embedded store reaching them through it,
/// and a git repository of recipes (the demo's, or the benchmark's own) registered as a source. Each step (a run, an
/// approval, the machines' registration, a rollout) is a method; <see cref="DemoSession"/> and the
/// emergency benchmark put them in order. Disposing stops the server and removes the lab.
/// </summary>
public sealed class LabPipeline : IAsyncDisposable
{
    public const string Site = "demo";
    private static readonly string[] Profiles = ["bios-scsi-rtl8139", "uefi-nvme", "uefi-sata-e1000", "bios-scsi-rtl8139", "uefi-nvme", "uefi-sata-e1000"];

    private readonly DirectoryInfo scratch;
    private readonly RunningLab lab;
    private readonly WebApplication server;
    private readonly Action<string> say;

    private LabPipeline(DirectoryInfo scratch, RunningLab lab, WebApplication server, Uri url, HttpClient client, PipelineRecipes source, Action<string> say)
    {
        this.scratch = scratch;
        this.lab = lab;
        this.server = server;
        this.say = say;
        Url = url;
        Client = client;
        Source = source;
    }

    /// <summary>The server's address (the web UI; the API under /api/v1).</summary>
    public Uri Url { get; }

    /// <summary>The API as "demo" (builder and operator: registers, triggers, asks for promotions, rolls out).</summary>
    public HttpClient Client { get; }

    /// <summary>The git repository of recipes the server builds from, and the recipe of it this pipeline runs.</summary>
    public PipelineRecipes Source { get; }

    public IDbContextFactory<PipelineDb> Databases => server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>();

    /// <param name="source">the git repository of recipes to register (<see cref="DemoRepository"/>) and the recipe to run</param>
    /// <param name="say">where progress lines go</param>
    /// <returns>null when the deploy environment could not be built (said why)</returns>
    public static async Task<LabPipeline?> StartAsync(string dataDirectory, PipelineRecipes source, string listen, string label, Action<string> say, CancellationToken cancellationToken)
    {
        var agent = await AgentBinary.EnsurePublishedAsync(cancellationToken);
        // One ladder step keeps it to one approval: candidate → production.
        var options = new ServerOptions { DataDirectory = dataDirectory, ReportAgent = agent, Channels = "production:1" };
        string publicKey;
        using (var signer = new ImageSigner(options))
            publicKey = signer.PublicKeyPem;
        var deploy = await LabSetup.EnsureDeployEnvironmentAsync(dataDirectory, cancellationToken, publicKey);
        if (deploy is null)
            return null;

        var scratch = Directory.CreateTempSubdirectory($"imagepipe-{label}-lab-");
        RunningLab? lab = null;
        WebApplication? server = null;
        try
        {
            say($"starting six lab machines ({string.Join(", ", Profiles.Distinct())}, two of each) with the boot service on their network");
            var labOptions = LabSetup.Options(dataDirectory, [.. Profiles.Select(HardwareProfiles.Get)], scratch.FullName, deploy, label);
            lab = await LabController.StartAsync(labOptions, 0, cancellationToken);
            server = ServerHost.Build(options with { BootServiceUrl = lab.Fleet.BootServiceUrl, BootServiceToken = labOptions.AdminToken }, [listen], quiet: true);
            await server.StartAsync(cancellationToken);
            var url = new Uri(server.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
            var client = await DemoAccounts.ClientAsync(server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>(), url, DemoAccounts.Operator,
                [Roles.Builder, Roles.Operator], cancellationToken);
            say($"pipeline server at {url} (the web UI; the API under /api/v1)");
            var pipeline = new LabPipeline(scratch, lab, server, url, client, source, say);
            await pipeline.RegisterSourceAsync(cancellationToken);
            return pipeline;
        }
        catch
        {
            if (server is not null)
                await server.DisposeAsync();
            if (lab is not null)
                await lab.DisposeAsync();
            scratch.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>The repository as its source (registered once: a name already taken must be this repository), and its recipe listed.</summary>
    private async Task RegisterSourceAsync(CancellationToken cancellationToken)
    {
        var registered = await Client.PostAsJsonAsync("/api/v1/sources", new { name = Source.Name, url = Source.Repository, branch = "main" }, cancellationToken);
        if (registered.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict))
            throw new InvalidOperationException($"registering the recipes failed: {(int)registered.StatusCode} {await registered.Content.ReadAsStringAsync(cancellationToken)}");
        var known = JsonNode.Parse(await Client.GetStringAsync($"/api/v1/sources/{Source.Name}", cancellationToken))!["url"]!.GetValue<string>();
        if (known != Source.Repository)
            throw new InvalidOperationException($"the server's source '{Source.Name}' is {known}, not {Source.Repository}; delete it or use another data directory");
        say($"recipes: the git repository {Source.Repository}");
        await Retry.UntilAsync($"the server to list the recipe '{Source.Recipe}'", async ct =>
            (await Client.GetStringAsync("/api/v1/recipes", ct)).Contains($"\"{Source.Recipe}\"", StringComparison.Ordinal) ? null : "not discovered yet",
            TimeSpan.FromMinutes(2), cancellationToken: cancellationToken);
    }

    /// <summary>A run of the recipe (an emergency rebuild when <paramref name="emergencyReason"/> is given), its log followed; the finished run, whose state says how it ended.</summary>
    /// <param name="running">called with each state the run enters (building, validating, ...), as it enters it</param>
    public async Task<JsonNode> RunAsync(string? emergencyReason, Action<string>? running, CancellationToken cancellationToken)
    {
        var response = emergencyReason is null
            ? await Client.PostAsync($"/api/v1/recipes/{Source.Recipe}/runs", null, cancellationToken)
            : await Client.PostAsJsonAsync($"/api/v1/recipes/{Source.Recipe}/emergency", new { reason = emergencyReason }, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the run of {Source.Recipe} was refused: {(int)response.StatusCode} {body}");
        var id = JsonNode.Parse(body)!["id"]!.GetValue<long>();
        say($"run {id}: {(emergencyReason is null ? "build and validate" : "emergency rebuild of")} {Source.Recipe} (log: {Url}runs/{id})");
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var states = running is null ? Task.CompletedTask : WatchStatesAsync(id, running, watching.Token);
        await RunLogFollower.FollowAsync(Client, id, cancellationToken, prefix: "  ");
        await watching.CancelAsync();
        await states;
        return JsonNode.Parse(await Client.GetStringAsync($"/api/v1/runs/{id}", cancellationToken))!;
    }

    private async Task WatchStatesAsync(long id, Action<string> entered, CancellationToken cancellationToken)
    {
        string? last = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var state = JsonNode.Parse(await Client.GetStringAsync($"/api/v1/runs/{id}", cancellationToken))!["state"]!.GetValue<string>();
                if (state != last)
                    entered(last = state);
                await Task.Delay(500, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The run's log ended: so did the run.
        }
    }

    /// <summary>
    /// The image in production (signed): asked for by "demo", approved by a person in the web UI, or
    /// by "demo-approver" when <paramref name="autoApprove"/>. An emergency promotion takes one
    /// approval with a reason, and lapses after the server's emergency approval hours.
    /// </summary>
    public async Task<bool> ApproveAsync(string image, bool autoApprove, bool emergency, CancellationToken cancellationToken)
    {
        var version = JsonNode.Parse(await Client.GetStringAsync($"/api/v1/images/{image}", cancellationToken))!;
        if (version["signature"] is not null)
        {
            say($"image {image[..12]} is in {version["channel"]} already (approved and signed on an earlier run)");
            return true;
        }

        var pending = JsonNode.Parse(await Client.GetStringAsync("/api/v1/promotions/?state=pending", cancellationToken))!.AsArray()
            .FirstOrDefault(p => p!["imageId"]!.GetValue<string>() == image);
        var promotion = pending ?? JsonNode.Parse(await (await Client.PostAsJsonAsync($"/api/v1/images/{image}/promotions",
            new { comment = emergency ? "emergency: passed the smoke profiles (imagepipe bench emergency)" : "passed the validation matrix (imagepipe demo)", emergency },
            cancellationToken)).Content.ReadAsStringAsync(cancellationToken))!;
        var id = promotion["id"]!.GetValue<long>();
        if (autoApprove)
        {
            using var approver = await DemoAccounts.ClientAsync(Databases, Url, DemoAccounts.Approver, [Roles.Approver], cancellationToken);
            (await approver.PostAsJsonAsync($"/api/v1/promotions/{id}/approve", new { comment = "approved unattended (--auto-approve)" }, cancellationToken)).EnsureSuccessStatusCode();
            say($"promotion {id}{(emergency ? " (emergency)" : "")} approved by {DemoAccounts.Approver} (--auto-approve): image {image[..12]} is in production, signed");
            return true;
        }

        Console.WriteLine();
        say($"waiting for your approval: open {Url}promotions and approve promotion {id}");
        say("  sign in as admin: on the first run, with the one-time password the server printed above (you then choose your own)");
        // A person decides: no time limit, a look every second.
        while (true)
        {
            var state = JsonNode.Parse(await Client.GetStringAsync($"/api/v1/promotions/{id}", cancellationToken))!["state"]!.GetValue<string>();
            if (state == "approved")
            {
                say($"promotion {id} approved: image {image[..12]} is in production, signed");
                return true;
            }

            if (state == "rejected")
            {
                say($"promotion {id} was rejected: nothing to roll out");
                return false;
            }

            await Task.Delay(1000, cancellationToken);
        }
    }

    /// <summary>
    /// The six lab machines in the server's registry (again on every run: the lab's MACs and BMC
    /// change). A rollout a killed earlier run left active on them is aborted first: its machines
    /// were that run's lab, gone with it.
    /// </summary>
    public async Task RegisterMachinesAsync(CancellationToken cancellationToken)
    {
        var names = lab.Fleet.Machines.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in JsonNode.Parse(await Client.GetStringAsync("/api/v1/rollouts", cancellationToken))!.AsArray()
                     .Where(r => r!["state"]!.GetValue<string>() is var state && (state == RolloutView.Lower(RolloutState.Running) || state == RolloutView.Lower(RolloutState.Paused)))
                     .Where(r => r!["targets"]!.AsArray().Any(t => names.Contains(t!["machine"]!.GetValue<string>()))))
        {
            var id = stale!["id"]!.GetValue<long>();
            (await Client.PostAsync($"/api/v1/rollouts/{id}/abort", null, cancellationToken)).EnsureSuccessStatusCode();
            say($"rollout {id}, left active by an earlier run on machines of the same names, aborted");
        }

        foreach (var (machine, i) in lab.Fleet.Machines.Select((m, i) => (m, i)))
        {
            var response = await Client.PutAsJsonAsync($"/api/v1/machines/{machine.Id}", new
            {
                mac = machine.Mac, variant = Profiles[i], site = Site, rack = i < 3 ? "r1" : "r2", bmcUrl = lab.RedfishUrl.ToString(),
                bmcSystem = $"/redfish/v1/Systems/{machine.Id}", bmcUser = lab.Credentials.UserName, bmcPassword = lab.Credentials.Password,
            }, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"registering {machine.Id} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        say($"six machines registered: {string.Join(", ", lab.Fleet.Machines.Select((m, i) => $"{m.Id} ({Profiles[i]}, rack {(i < 3 ? "r1" : "r2")})"))}");
    }

    /// <summary>
    /// A rollout of <paramref name="image"/> over the six machines, followed until it ends: plan
    /// 1+2+3 with a 5 s bake, or, for an emergency, the server's emergency plan. Returns the rollout as it ended.
    /// </summary>
    /// <param name="viewed">called with the rollout at each look (every 2 s)</param>
    /// <param name="mode">the plan's mode (<c>in-place</c>), or null: reimage</param>
    public async Task<JsonNode> RollOutAsync(string image, bool emergency, Action<JsonNode>? viewed, CancellationToken cancellationToken, string? mode = null)
    {
        object request = emergency
            ? new { imageId = image, selector = new { site = Site }, emergency = true, plan = new { mode } }
            : new { imageId = image, selector = new { site = Site }, plan = new { steps = "1+2+3", bakeSeconds = 5, waveTimeoutSeconds = 600, mode } };
        var response = await Client.PostAsJsonAsync("/api/v1/rollouts", request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the rollout was refused: {(int)response.StatusCode} {body}");
        var rollout = JsonNode.Parse(body)!;
        var id = rollout["id"]!.GetValue<long>();
        say($"rollout {id}{(emergency ? " (emergency plan)" : ": plan 1+2+3")} ({RolloutProgress.Bars(rollout)}): watch it live at {Url}rollouts/{id}");
        var progress = new RolloutProgress();
        while (true)
        {
            rollout = JsonNode.Parse(await Client.GetStringAsync($"/api/v1/rollouts/{id}", cancellationToken))!;
            viewed?.Invoke(rollout);
            if (progress.Show(rollout))
                return rollout;
            await Task.Delay(2000, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await server.DisposeAsync();
        await lab.DisposeAsync();
        scratch.Delete(recursive: true);
    }
}
