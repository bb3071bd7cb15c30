using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Recipes;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Seed;
using ImagePipeline.Tests.Waiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Tests.ImportedImages;

/// <summary>
/// A disk built elsewhere on its way to machines: a busybox image with a web server and no agent
/// of ours (built here without one, exported as vmdk, as Packer would hand it over), its name
/// given checks, uploaded, validated in QEMU by those checks into a candidate, approved, and
/// rolled out onto simulated machines through a real boot service, whose probes from outside
/// make them healthy — nothing reports from inside.
/// </summary>
public sealed class ImportedImagePipelineTests
{
    /// <summary>The image's web server, and the port the checks probe (loopback, where the simulated machines' "web servers" listen).</summary>
    private const int WebPort = 18080;

    private static readonly string Checks = $$"""
        validate:
          profiles: [uefi-virtio]
          timeout: 120
          checks:
            - tcp: {{WebPort}}
            - http: { port: {{WebPort}}, path: /healthz, body: '^ok' }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_disk_built_elsewhere_is_validated_by_its_names_checks_into_a_version_then_approved_and_rolled_out_healthy_by_probes_from_outside()
    {
        var vmdk = await DiskBuiltElsewhereAsync();
        var bytes = await File.ReadAllBytesAsync(vmdk, Ct);
        var bootPort = ServerProcess.FreePort();
        await using var server = await TestServer.StartAsync(kestrel: true, configure: o => o with
        {
            BootServiceUrl = new Uri($"http://127.0.0.1:{bootPort}/"), BootServiceToken = BootServiceHost.AdminToken,
        });
        using var builder = await server.ClientAsync(Roles.Builder);

        var noProbe = await PutChecksAsync(builder, "validate:\n  checks:\n    - console: 'login:'\n");
        var command = await PutChecksAsync(builder, $"validate:\n  checks:\n    - tcp: {WebPort}\n    - command: uptime\n");
        var notYaml = await PutChecksAsync(builder, "validate: [");
        var unstored = await UploadAsync(builder, bytes);
        var set = await PutChecksAsync(builder, Checks);
        var uploaded = await UploadAsync(builder, bytes);
        var runId = uploaded["runId"]!.GetValue<long>();
        await Eventually.WaitAsync("the import's validation", async () => (await server.GetJsonAsync($"/api/v1/runs/{runId}"))["state"]!.GetValue<string>() is "candidate" or "failed", 480);
        var run = await server.GetJsonAsync($"/api/v1/runs/{runId}");
        var log = await server.Http.GetStringAsync($"/api/v1/runs/{runId}/log", Ct);
        // The same disk again, by the CLI (imagepipe import --server): the same image, no new version.
        var again = await CliImportAsync(server, builder, vmdk);
        var trigger = await builder.PostAsync("/api/v1/recipes/packer-web/runs", null, Ct);

        (await noProbe.Content.ReadAsStringAsync(Ct)).ShouldContain("list at least one tcp or http check");
        noProbe.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await command.Content.ReadAsStringAsync(Ct)).ShouldContain("command checks run through our agent, which an image built elsewhere does not have");
        notYaml.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        unstored["runId"].ShouldBeNull("a name without checks stores the image and makes no version");
        unstored["next"]!.GetValue<string>().ShouldContain("PUT /api/v1/imports/packer-web");
        set.StatusCode.ShouldBe(HttpStatusCode.OK);
        var view = JsonNode.Parse(await set.Content.ReadAsStringAsync(Ct))!;
        view["health"]!.AsArray().Select(h => h!.GetValue<string>()).ShouldBe([$"tcp {WebPort}", $"http :{WebPort}/healthz"]);
        run["state"]!.GetValue<string>().ShouldBe("candidate", log);
        run["trigger"]!.GetValue<string>().ShouldBe("import");
        run["recipe"]!.GetValue<string>().ShouldBe("packer-web");
        run["commit"]!.GetValue<string>().ShouldBe($"upload:{Convert.ToHexStringLower(SHA256.HashData(bytes))}");
        log.ShouldContain("validation: uefi-virtio passed");
        log.ShouldContain($"its health on machines will be probed from outside: tcp {WebPort}, http :{WebPort}/healthz");
        var imageId = uploaded["imageId"]!.GetValue<string>();
        var version = await server.GetJsonAsync($"/api/v1/images/{imageId}");
        version["channel"]!.GetValue<string>().ShouldBe("candidate");
        version["healthProbes"]!.GetValue<string>().ShouldContain($"\"port\":{WebPort}");
        again.ExitCode.ShouldBe(0, again.StandardError);
        again.StandardOutput.ShouldContain($"image {imageId} (already in the store)");
        again.StandardOutput.ShouldContain("already a version: nothing new to validate");
        trigger.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await trigger.Content.ReadAsStringAsync(Ct)).ShouldContain("names images built elsewhere, not a recipe");
        var page = await server.Http.GetStringAsync("/images", Ct);
        page.ShouldContain($"probes from outside: tcp {WebPort}, http :{WebPort}/healthz");
        var recipes = await server.Http.GetStringAsync("/recipes", Ct);
        recipes.ShouldContain("images built elsewhere, imported");
        recipes.ShouldNotContain("Build now", Case.Sensitive, "nothing to build for an imported name (and no recipe here)");

        await RolledOutHealthyByProbesAsync(server, bootPort, imageId);
    }

    /// <summary>
    /// Part of the test above (one validated import): approved, refused in place, then rolled out
    /// 1+1 onto two simulated machines that report nothing; the boot service's probes of their
    /// web server make them healthy, and a rollout's machine whose web server answers 503 waits.
    /// </summary>
    private static async Task RolledOutHealthyByProbesAsync(TestServer server, int bootPort, string imageId)
    {
        var bootData = Directory.CreateTempSubdirectory("imagepipe-import-bootsvc-");
        await using var bootService = await BootServiceHost.StartAsync(bootPort, bootData.FullName, Path.Combine(server.DataDirectory, "artifacts", "sha256"));
        await using var fleet = await SimulatedFleet.StartAsync(bootService.Url, "web-1", "web-2");
        fleet.WithoutAgent["web-1"] = true;
        fleet.WithoutAgent["web-2"] = true;
        using var operatorClient = await server.ClientAsync(Roles.Operator);
        using var approver = await server.ClientAsync(Roles.Approver);
        await fleet.RegisterAsync(operatorClient, "fra1");
        var asked = JsonNode.Parse(await (await server.Http.PostAsJsonAsync($"/api/v1/images/{imageId}/promotions", new { comment = "imported" }, Ct)).Content.ReadAsStringAsync(Ct))!;
        (await approver.PostAsJsonAsync($"/api/v1/promotions/{asked["id"]}/approve", new { comment = "ok" }, Ct)).EnsureSuccessStatusCode();
        var healthy = "starting";
        await using var web = await MachinesWebServerAsync(() => healthy);

        var inPlace = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new { imageId, selector = new { site = "fra1" }, plan = new { steps = "1+1", mode = "in-place" } }, Ct);
        var started = await operatorClient.PostAsJsonAsync("/api/v1/rollouts", new
        {
            imageId, selector = new { site = "fra1" }, plan = new { steps = "1+1", bakeSeconds = 0, waveTimeoutSeconds = 120 },
        }, Ct);
        started.EnsureSuccessStatusCode();
        var rolloutId = JsonNode.Parse(await started.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<long>();
        await Eventually.WaitAsync("the canary to be probed", async () => (await MachineAsync(server, "web-1"))["lastError"]?.GetValue<string>()?.Contains("not healthy yet") == true, 60);
        var waiting = await MachineAsync(server, "web-1");
        healthy = "ok: web";
        await Eventually.WaitAsync("the rollout to end", async () => (await server.GetJsonAsync($"/api/v1/rollouts/{rolloutId}"))["state"]!.GetValue<string>() != "running", 120);
        var rollout = await server.GetJsonAsync($"/api/v1/rollouts/{rolloutId}");
        using var bootHttp = new HttpClient();
        var events = await new BootService.Contract.BootServiceClient(bootHttp, bootService.Url, BootServiceHost.AdminToken).EventsAsync(fleet.Macs["web-2"], Ct);

        inPlace.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await inPlace.Content.ReadAsStringAsync(Ct)).ShouldContain("was imported and has no agent of ours");
        waiting["state"]!.GetValue<string>().ShouldBe("Booting", waiting.ToJsonString());
        waiting["lastError"]!.GetValue<string>().ShouldContain($"http :{WebPort}/healthz at 127.0.0.1: status 200 but the body does not match /^ok/");
        rollout["state"]!.GetValue<string>().ShouldBe("completed", rollout.ToJsonString());
        events.Select(e => e.Detail).ShouldContain($"image {imageId} healthy by probes from outside at 127.0.0.1: tcp {WebPort}, http :{WebPort}/healthz passed");
        fleet.Resets.Values.ShouldAllBe(n => n == 1);

        await bootService.StopAsync();
        bootData.Delete(recursive: true);
    }

    private static async Task<BufferedCommandResult> CliImportAsync(TestServer server, HttpClient builder, string disk)
    {
        var tokenFile = Path.Combine(Path.GetDirectoryName(disk)!, "builder.token");
        await File.WriteAllTextAsync(tokenFile, builder.DefaultRequestHeaders.Authorization!.Parameter, Ct);
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return await CliWrap.Cli.Wrap("dotnet")
            .WithArguments([Path.Combine(AppContext.BaseDirectory, "imagepipe.dll"), "import", disk, "--name", "packer-web", "--server", server.BaseAddress.ToString(), "--token-file", tokenFile, "--wait"])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(Ct);
    }

    private static async Task<JsonNode> MachineAsync(TestServer server, string name) =>
        (await server.GetJsonAsync("/api/v1/machines")).AsArray().Single(m => m!["name"]!.GetValue<string>() == name)!;

    private static async Task<HttpResponseMessage> PutChecksAsync(HttpClient client, string yaml) =>
        await client.PutAsync("/api/v1/imports/packer-web", new StringContent(yaml, Encoding.UTF8, "application/yaml"), Ct);

    private static async Task<JsonNode> UploadAsync(HttpClient client, byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var response = await client.PostAsync($"/api/v1/images?name=packer-web&sha256={Convert.ToHexStringLower(SHA256.HashData(bytes))}", content, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!;
    }

    /// <summary>What another tool would hand over: a busybox disk whose system start runs a web server, with no agent of ours, as a vmdk.</summary>
    private static async Task<string> DiskBuiltElsewhereAsync()
    {
        var data = Directory.CreateTempSubdirectory("imagepipe-built-elsewhere-");
        await SeededBase.IntoAsync(data.FullName, Ct);
        var recipe = RecipeParser.Parse($$"""
            name: packer-web
            base: busybox
            files:
              - path: /etc/rc.d/50-web
                content: "#!/bin/sh\nmkdir -p /srv/www\necho 'ok: packer-web' > /srv/www/healthz\nhttpd -p {{WebPort}} -h /srv/www\n"
                mode: "0755"
            disk: { size: 512MiB, root: ext4, esp: 64MiB }
            boot: [uefi, bios]
            formats: [vmdk]
            """, Path.Combine(data.FullName, "packer-web.yaml"));
        var built = await new ImageBuilder(new BuildOptions { DataDirectory = data.FullName }, NullBuildObserver.Instance).BuildAsync(recipe, Ct);
        File.Exists(Path.Combine(built.Directory, "usr/lib/imagepipeline/imagepipe-agent")).ShouldBeFalse();
        return Path.Combine(built.Directory, "disk.vmdk");
    }

    /// <summary>The simulated machines' web server on loopback (they all "netboot" from 127.0.0.1): GET /healthz answers 200 with what <paramref name="body"/> says.</summary>
    private static async Task<WebApplication> MachinesWebServerAsync(Func<string> body)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{WebPort}");
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text(body()));
        await app.StartAsync(Ct);
        return app;
    }
}
