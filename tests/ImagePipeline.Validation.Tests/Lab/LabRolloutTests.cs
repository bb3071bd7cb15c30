using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Builder;
using ImagePipeline.Builder.DeployEnvironment;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Recipes;
using ImagePipeline.Server;
using ImagePipeline.Server.Hosting;
using ImagePipeline.Server.State;
using ImagePipeline.Tests.Browser;
using ImagePipeline.Tests.Deploy;
using ImagePipeline.Tests.Waiting;
using ImagePipeline.Validation.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ImagePipeline.Validation.Tests.Lab;

/// <summary>
/// The whole chain on four lab machines (three hardware variants, in two racks): a
/// recipe commit becomes a candidate through the real pipeline server (build, QEMU validation),
/// is approved twice by someone other than who asked (staging, production: signed), and rolls out
/// in waves through the lab's boot service and Redfish BMCs to a deploy environment that writes
/// only images signed with the server's key. Then an image whose health check fails stops at the
/// canary with the other three untouched, and a rollback puts the canary back on the first image.
/// The operator's part happens in the web UI, in a real browser: the last approval, starting both
/// rollouts, watching their waves live (no reload) to the end, and the rollback button.
/// </summary>
[Collection(LabTestGroup.Name)]
public sealed class LabRolloutTests(DeployEnvironmentFixture deploy) : IDisposable
{
    private const string AdminPassword = "lab-rollout-admin-password";
    private static readonly string[] Profiles = ["bios-scsi-rtl8139", "uefi-nvme", "uefi-sata-e1000", "bios-scsi-rtl8139"];
    private static readonly Regex Escapes = new(@"\x1b\[[0-9;=?]*[A-Za-z]|[\x00-\x08\x0b-\x1f]");
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("imagepipe-lab-rollout-");

    /// <summary>Three TCG guests in a wave keep both cores busy: the browser's actions get a minute, not 15 s.</summary>
    private static readonly TimeSpan BusyHost = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Where the test is, with the time: a failure's output then says which step was slow.</summary>
    private static void Step(string what) => TestContext.Current.TestOutputHelper?.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {what}");

    [Fact]
    public async Task A_commit_is_approved_signed_and_rolled_over_four_machines_in_waves_a_failing_image_stops_at_the_canary_and_rollback_restores_it()
    {
        // The server's signing key, and a deploy environment that trusts only it.
        var keyPath = Path.Combine(work.FullName, "signing-key.pem");
        string publicKey;
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem(), Ct);
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            publicKey = key.ExportSubjectPublicKeyInfoPem();
        }

        var agent = await ImagePipeline.Cli.AgentBinary.EnsurePublishedAsync(Ct);
        var signedOnly = Path.Combine(work.FullName, "deploy-signed-only");
        await new DeployEnvironmentBuilder(new BuildOptions { DataDirectory = deploy.DataDirectory, ReportAgent = agent }, NullBuildObserver.Instance)
            .BuildAsync(signedOnly, new DeployEnvironmentSpec(agent, TrustKeyPem: publicKey, AllowUnsigned: false), Ct);
        var data = Directory.CreateDirectory(Path.Combine(work.FullName, "data")).FullName;
        // The server's own store, seeded with the other lab tests' stage cache (hard links; cache entries never change in place): the base is not fetched again.
        await CliWrap.Cli.Wrap("cp").WithArguments(["-al", Path.Combine(deploy.DataDirectory, "cache"), Path.Combine(data, "cache")]).ExecuteBufferedAsync(Ct);
        await using var lab = await TestLab.StartAsync(signedOnly, Path.Combine(data, "artifacts", "sha256"), "rollout", Profiles);
        await using var server = ServerHost.Build(new ServerOptions
        {
            DataDirectory = data, AdminPassword = AdminPassword, ReportAgent = agent, SigningKeyPath = keyPath,
            BootServiceUrl = lab.Fleet.BootServiceUrl, BootServiceToken = TestLab.AdminToken,
        }, ["http://127.0.0.1:0"]);
        await server.StartAsync(Ct);
        using var admin = await ClientAsync(server, "admin", AdminPassword);
        using var builder = await AccountAsync(server, admin, "bea", "builder");
        using var approver = await AccountAsync(server, admin, "ada", "approver");
        using var operatorClient = await AccountAsync(server, admin, "otto", "operator");

        // A recipe commit → build → validation → candidate, through the server.
        Step("server started; a recipe commit");
        var repository = await RepositoryAsync();
        (await builder.PostAsJsonAsync("/api/v1/sources", new { name = "recipes", url = repository }, Ct)).EnsureSuccessStatusCode();
        await Eventually.WaitAsync("the source's recipes", async () => (await admin.GetStringAsync("/api/v1/recipes", Ct)).Contains("\"tiny\"", StringComparison.Ordinal), 60);
        var run = await JsonAsync(await builder.PostAsync("/api/v1/recipes/tiny/runs", null, Ct));
        await Eventually.WaitAsync("the run to end", async () => (await GetJsonAsync(admin, $"/api/v1/runs/{run["id"]}"))["finishedAt"] is not null, 600);
        var candidate = await GetJsonAsync(admin, $"/api/v1/runs/{run["id"]}");
        candidate["state"]!.GetValue<string>().ShouldBe("candidate", candidate.ToJsonString());
        var first = candidate["imageId"]!.GetValue<string>();

        Step("candidate built and validated; promoting it");
        await PromoteToProductionAsync(builder, approver, first, inBrowser: true, server.Urls.First());
        foreach (var (machine, i) in lab.Fleet.Machines.Select((m, i) => (m, i)))
        {
            (await operatorClient.PostAsJsonAsync("/api/v1/machines", new
            {
                name = machine.Id, mac = machine.Mac, variant = Profiles[i], site = "lab", rack = i < 2 ? "r1" : "r2",
                bmcUrl = lab.Running.RedfishUrl.ToString(), bmcSystem = TestLab.SystemPath(machine.Id),
                bmcUser = lab.Running.Credentials.UserName, bmcPassword = lab.Running.Credentials.Password,
            }, Ct)).EnsureSuccessStatusCode();
        }

        var (browser, page) = await BrowserSignIn.AsAsync(new Uri(server.Urls.First()), "otto", AdminPassword, BusyHost);
        await using var _ = browser;
        Step("operator signed in; starting the first rollout");
        var rollout = await StartInBrowserAsync(page, first);
        Step($"watching rollout {rollout}");
        await WatchUntilAsync(page, lab, rollout, "completed", 900);
        var done = await GetJsonAsync(admin, $"/api/v1/rollouts/{rollout}");

        done["state"]!.GetValue<string>().ShouldBe("completed", done.ToJsonString());
        Waves(done).ShouldBe([1, 3], "wave 1 (planned as one machine) grew to hold each of the three variants");
        done["targets"]!.AsArray().ShouldAllBe(t => t!["state"]!.GetValue<string>() == "healthy");
        var fleet = await lab.BootService.ListAsync(Ct);
        fleet.Count.ShouldBe(4);
        fleet.ShouldAllBe(m => m.State == MachineState.Healthy && m.CurrentImage == first);
        fleet.Select(m => m.Firmware).Order().ShouldBe(["bios", "bios", "uefi", "uefi"]);
        (await lab.BootService.EventsAsync(lab.Fleet["lab-2"].Mac, Ct)).ShouldContain(e => e.Detail.Contains("to /dev/nvme0n1", StringComparison.Ordinal), "NVMe disk");
        (await lab.BootService.EventsAsync(lab.Fleet["lab-3"].Mac, Ct)).ShouldContain(e => e.Detail.Contains("to /dev/sda", StringComparison.Ordinal), "SATA disk");
        // The machine's page: the boot service's state and the hardware its agent found.
        Step("first rollout completed; the machine page");
        await page.OpenAsync("/machines/lab-2");
        var facts = await page.Locator("#machine-facts").TextContentAsync() ?? "";
        facts.ShouldContain("healthy");
        facts.ShouldContain("nvme0n1");
        facts.ShouldContain(lab.Fleet["lab-2"].Mac);
        (await page.Locator("#machine-last-write").TextContentAsync() ?? "").ShouldStartWith("full, ", customMessage: "a blank disk is written whole");

        // An image whose health check fails on these machines: the canary fails, the rollout pauses, the others are untouched.
        Step("building the failing image");
        var failing = await FailingImageAsync(server, data, agent);
        await PromoteToProductionAsync(builder, approver, failing);
        Step("starting the failing rollout");
        var bad = await StartInBrowserAsync(page, failing);
        Step($"watching rollout {bad}");
        await WatchUntilAsync(page, lab, bad, "paused", 600);
        (await page.Locator("#rollout-reason").TextContentAsync())!.ShouldContain("canary failed");
        var paused = await GetJsonAsync(admin, $"/api/v1/rollouts/{bad}");

        paused["state"]!.GetValue<string>().ShouldBe("paused", paused.ToJsonString());
        paused["wave"]!.GetValue<int>().ShouldBe(0);
        paused["reason"]!.GetValue<string>().ShouldContain("canary failed");
        var canary = paused["targets"]!.AsArray().Single(t => t!["wave"]!.GetValue<int>() == 0)!;
        canary["state"]!.GetValue<string>().ShouldBe("failed");
        canary["reason"]!.GetValue<string>().ShouldContain("check");
        paused["targets"]!.AsArray().Where(t => t!["wave"]!.GetValue<int>() > 0).ShouldAllBe(t => t!["state"]!.GetValue<string>() == "pending");
        var canaryName = canary["machine"]!.GetValue<string>();
        (await lab.BootService.ListAsync(Ct)).Where(m => m.Mac != lab.Fleet[canaryName].Mac).ShouldAllBe(m => m.CurrentImage == first && m.State == MachineState.Healthy);

        // Rollback: the previous production image, onto the machine the failed rollout changed.
        Step("paused at the canary; rolling back");
        await page.GetByRole(AriaRole.Button, new() { Name = "Roll back" }).ClickAsync();
        var backUrl = await page.WaitForPageAsync(new Regex($"/rollouts/(?!{bad}$)\\d+$"), BusyHost);
        var backId = long.Parse(backUrl[(backUrl.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var back = await GetJsonAsync(admin, $"/api/v1/rollouts/{backId}");
        back["imageId"]!.GetValue<string>().ShouldBe(first);
        back["rollbackOf"]!.GetValue<long>().ShouldBe(bad);
        Step($"watching rollback {backId}");
        await WatchUntilAsync(page, lab, backId, "completed", 600);
        var restored = await GetJsonAsync(admin, $"/api/v1/rollouts/{backId}");

        restored["state"]!.GetValue<string>().ShouldBe("completed", restored.ToJsonString());
        (await GetJsonAsync(admin, $"/api/v1/rollouts/{bad}"))["state"]!.GetValue<string>().ShouldBe("rolled-back");
        (await lab.BootService.ListAsync(Ct)).ShouldAllBe(m => m.CurrentImage == first && m.State == MachineState.Healthy);
        var audit = (await GetJsonAsync(admin, "/api/v1/audit")).AsArray().Select(a => a!["action"]!.GetValue<string>()).ToList();
        audit.ShouldContain("rollout-wave-failed");
        audit.ShouldContain("rollout-rolled-back");
        audit.Count(a => a == "rollout-completed").ShouldBe(2);
    }

    private static int[] Waves(JsonNode rollout) =>
        [.. rollout["targets"]!.AsArray().GroupBy(t => t!["wave"]!.GetValue<int>()).OrderBy(g => g.Key).Select(g => g.Count())];

    /// <summary>A git repository holding the tiny example with a check its report agent runs inside the image.</summary>
    private async Task<string> RepositoryAsync()
    {
        var repository = Directory.CreateDirectory(Path.Combine(work.FullName, "recipes")).FullName;
        Directory.CreateDirectory(Path.Combine(repository, "recipes"));
        // Validated on one profile: the lab's machines are the matrix this test is about.
        var yaml = (await File.ReadAllTextAsync(RepositoryLayout.Example("tiny"), Ct)).Replace("profiles: [bios-virtio, uefi-virtio, uefi-nvme, bios-sata-e1000]", "profiles: [uefi-nvme]", StringComparison.Ordinal)
            + "  checks:\n    - command: { run: \"uname -r\", output: \"amd64\" }\n";
        await File.WriteAllTextAsync(Path.Combine(repository, "recipes", "tiny.yaml"), yaml, Ct);
        foreach (var arguments in new[] { new[] { "init", "--quiet", "--initial-branch=main" }, ["add", "-A"], ["-c", "user.name=op", "-c", "user.email=op@example.org", "commit", "--quiet", "-m", "tiny"] })
            await CliWrap.Cli.Wrap("git").WithArguments(["-C", repository, .. arguments]).ExecuteBufferedAsync(Ct);
        return repository;
    }

    /// <summary>tiny with a health check that fails inside the image; such an image passed its validation elsewhere (other hardware) and is a version here.</summary>
    private static async Task<string> FailingImageAsync(WebApplication server, string data, string agent)
    {
        var yaml = (await File.ReadAllTextAsync(RepositoryLayout.Example("tiny"), Ct)).Replace("tiny: an ImagePipeline example image", "tiny, broken on these machines", StringComparison.Ordinal)
            + "  checks:\n    - command: { run: \"cat /etc/imagepipeline/missing-on-this-hardware\", output: \"ok\", timeout: 5 }\n";
        var built = await new ImageBuilder(new BuildOptions { DataDirectory = data, ReportAgent = agent }, NullBuildObserver.Instance)
            .BuildAsync(RecipeParser.Parse(yaml, RepositoryLayout.Example("tiny")), Ct);
        await using var db = await server.Services.GetRequiredService<IDbContextFactory<PipelineDb>>().CreateDbContextAsync(Ct);
        db.Images.Add(new ImageVersion
        {
            ImageId = built.Manifest.ImageId, RecipeName = "tiny", InputDigest = built.Manifest.InputDigest, Commit = "elsewhere", Channel = "candidate", RunId = 0, CreatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync(Ct);
        return built.Manifest.ImageId;
    }

    /// <summary>candidate → staging → production: the builder asks, the approver approves (four eyes); the production approval in the web UI if asked.</summary>
    private static async Task PromoteToProductionAsync(HttpClient builder, HttpClient approver, string image, bool inBrowser = false, string? server = null)
    {
        foreach (var channel in new[] { "staging", "production" })
        {
            var asked = await JsonAsync(await builder.PostAsJsonAsync($"/api/v1/images/{image}/promotions", new { channel, comment = $"to {channel}" }, Ct));
            if (inBrowser && channel == "production")
            {
                var (browser, page) = await BrowserSignIn.AsAsync(new Uri(server!), "ada", AdminPassword, BusyHost);
                await using var _ = browser;
                await page.OpenAsync("/promotions");
                var card = page.Locator($"#promotion-{asked["id"]}");
                await card.GetByRole(AriaRole.Textbox).FillAsync("approved in the UI");
                await card.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
                (await page.GetByRole(AriaRole.Status).TextContentAsync())!.ShouldContain("approved");
            }
            else
            {
                (await approver.PostAsJsonAsync($"/api/v1/promotions/{asked["id"]}/approve", new { comment = "approved" }, Ct)).EnsureSuccessStatusCode();
            }

            (await GetJsonAsync(approver, $"/api/v1/promotions/{asked["id"]}"))["state"]!.GetValue<string>().ShouldBe("approved");
        }
    }

    /// <summary>The operator's form: the site's machines, plan 1+1, a short bake; the id of the rollout the page then shows.</summary>
    private static async Task<long> StartInBrowserAsync(IPage page, string image)
    {
        (await page.OpenAsync("/rollouts", BusyHost))!.Url.ShouldEndWith("/rollouts", customMessage: "still signed in");
        await page.Locator($"#rollout-image option[value='{image}']").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.Locator("#rollout-image").SelectOptionAsync(image);
        await page.GetByLabel("Site").FillAsync("lab");
        await page.Locator("#rollout-steps").FillAsync("1+1");
        await page.GetByLabel("Bake after each wave (seconds)").FillAsync("2");
        await page.GetByLabel("Wave timeout (seconds)").FillAsync("420");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start rollout" }).ClickAsync();
        var url = await page.WaitForPageAsync(new Regex("/rollouts/\\d+$"), BusyHost);
        (await page.GetByRole(AriaRole.Status).TextContentAsync())!.ShouldContain("2 waves over 4 machines");
        return long.Parse(url[(url.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Watches the rollout's page, never reloading it, until its state is the one expected. Another
    /// end fails the test with the page's reason first, then what each machine was last doing (its
    /// boot service events and the end of its console): the failure's first lines say why.
    /// </summary>
    private static async Task WatchUntilAsync(IPage page, TestLab lab, long rollout, string state, int seconds)
    {
        (await page.EvaluateAsync<string>("() => location.pathname")).ShouldBe($"/rollouts/{rollout}");
        var ended = page.Locator("#rollout-state [data-state=completed], #rollout-state [data-state=paused], #rollout-state [data-state=aborted], #rollout-state [data-state=rolled-back]");
        await ended.WaitForAsync(new() { Timeout = seconds * 1000 });
        var reason = await page.Locator("#rollout-reason").TextContentAsync();
        var actual = await ended.GetAttributeAsync("data-state");
        if (actual != state)
        {
            string machines;
            try
            {
                machines = await MachinesAsync(lab);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or System.Text.Json.JsonException)
            {
                machines = $"(the machines could not be described: {e.Message})";
            }

            Assert.Fail($"rollout {rollout} ended {actual}, not {state}: {reason}\n{machines}");
        }
        TestContext.Current.SendDiagnosticMessage($"rollout {rollout}: {state}: {reason}");
    }

    /// <summary>Each lab machine in a few short lines, those not healthy first: its state, its last boot service events, its console's last lines.</summary>
    private static async Task<string> MachinesAsync(TestLab lab)
    {
        var machines = new List<(bool Healthy, string Text)>();
        foreach (var machine in lab.Fleet.Machines)
        {
            var text = new StringBuilder();
            var record = await lab.BootService.GetAsync(machine.Mac, Ct);
            text.Append(CultureInfo.InvariantCulture, $"{machine.Id} ({machine.Profile}, {record?.State}, power {machine.PowerState}, {machine.PowerOns} power-ons):\n");
            foreach (var e in (await lab.BootService.EventsAsync(machine.Mac, Ct)).TakeLast(5))
                text.Append(CultureInfo.InvariantCulture, $"  {e.At:HH:mm:ss} {e.Kind}: {e.Detail}\n");
            var console = Escapes.Replace(machine.Vm.Console.Text, "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var line in console.TakeLast(3))
                text.Append(CultureInfo.InvariantCulture, $"  console: {line[..Math.Min(line.Length, 200)]}\n");
            machines.Add((record?.State == MachineState.Healthy, text.ToString()));
        }

        return string.Concat(machines.OrderBy(m => m.Healthy).Select(m => m.Text));
    }

    private static async Task<HttpClient> ClientAsync(WebApplication server, string name, string password)
    {
        var client = new HttpClient { BaseAddress = new Uri(server.Urls.First()) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tokens") { Content = JsonContent.Create(new { name = "lab-test" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{name}:{password}")));
        var token = (await JsonAsync(await client.SendAsync(request, Ct)))["token"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<HttpClient> AccountAsync(WebApplication server, HttpClient admin, string name, string role)
    {
        (await admin.PostAsJsonAsync("/api/v1/accounts", new { name, password = AdminPassword, roles = new[] { role } }, Ct)).EnsureSuccessStatusCode();
        return await ClientAsync(server, name, AdminPassword);
    }

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        response.IsSuccessStatusCode.ShouldBeTrue($"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    private static async Task<JsonNode> GetJsonAsync(HttpClient client, string path) => JsonNode.Parse(await client.GetStringAsync(path, Ct))!;

    public void Dispose() => work.Delete(recursive: true);
}
