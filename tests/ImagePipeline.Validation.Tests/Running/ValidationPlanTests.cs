using ImagePipeline.Validation.Checks;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Running;
using YamlDotNet.RepresentationModel;

namespace ImagePipeline.Validation.Tests.Running;

public sealed class ValidationPlanTests
{
    private static YamlMappingNode Section(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    [Fact]
    public void A_recipe_picks_catalogue_profiles_defines_its_own_and_adds_checks_after_the_built_in_ones()
    {
        var plan = ValidationPlan.FromSection(Section("""
            profiles: [bios-virtio, { name: big-uefi, firmware: uefi, disk: nvme, nic: e1000, memory: 2048, cpus: 2 }]
            retries: 1
            checks:
              - console: "hello"
              - command: { run: "uname -r", output: "amd64" }
              - tcp: 22
              - http: { port: 8080, path: /health, status: 204, body: ok, timeout: 30 }
              - screenshot: true
            """));

        plan.Profiles.Select(p => p.Name).ShouldBe(["bios-virtio", "big-uefi"]);
        plan.Profiles[1].ShouldSatisfyAllConditions(
            p => p.Firmware.ShouldBe(Firmware.Uefi), p => p.Nic.ShouldBe(NicModel.E1000), p => p.MemoryMiB.ShouldBe(2048), p => p.Cpus.ShouldBe(2));
        plan.Retries.ShouldBe(1);
        plan.Checks.Select(c => c.GetType()).ShouldBe([
            typeof(ReadyCheck), typeof(NetworkCheck), typeof(FailedUnitsCheck),
            typeof(ConsoleCheck), typeof(CommandCheck), typeof(TcpCheck), typeof(HttpCheck), typeof(ScreenshotCheck),
            typeof(KernelHealthCheck)]);
        var http = plan.Checks.OfType<HttpCheck>().Single();
        (http.Port, http.Path, http.Status, http.Timeout).ShouldBe((8080, "/health", 204, TimeSpan.FromSeconds(30)));
        plan.Checks.SelectMany(c => c.GuestPorts).ShouldBe([22, 8080]);
    }

    [Fact]
    public void Without_a_section_the_default_matrix_and_built_in_checks_run() =>
        ValidationPlan.Default().Profiles.Select(p => p.Name).ShouldBe(["bios-virtio", "uefi-virtio", "uefi-nvme", "bios-sata-e1000"]);

    [Fact]
    public void An_image_built_elsewhere_gets_no_check_that_reads_our_agents_boot_report_and_no_command_check()
    {
        var plain = ValidationPlan.FromSection(Section("checks: [{ tcp: 22 }]"), agentless: true);
        var withReady = ValidationPlan.FromSection(Section("ready: 'web login:'\nchecks: [{ tcp: 22 }]"), agentless: true);
        var command = Should.Throw<FormatException>(() => ValidationPlan.FromSection(Section("checks: [{ tcp: 22 }, { command: uptime }]"), agentless: true));

        plain.Checks.Select(c => c.Name).ShouldBe(["tcp 22", "kernel-healthy"]);
        withReady.Checks.Select(c => c.Name).ShouldBe(["ready", "tcp 22", "kernel-healthy"]);
        command.Message.ShouldContain("command checks run through our agent");
    }

    [Fact]
    public void The_command_line_narrows_the_profiles() =>
        ValidationPlan.Default(["uefi-nvme"]).Profiles.ShouldHaveSingleItem().Name.ShouldBe("uefi-nvme");

    [Fact]
    public void An_emergency_validates_on_the_smoke_profiles_or_else_the_first_profile()
    {
        var section = Section("profiles: [bios-virtio, uefi-nvme, bios-sata-e1000]\nsmoke: [uefi-nvme, { name: ignored }]");
        var withoutSmoke = Section("profiles: [uefi-nvme, bios-sata-e1000]");

        Should.Throw<FormatException>(() => ValidationPlan.FromSection(section, smoke: true)).Message.ShouldContain("validate.smoke");
        ValidationPlan.FromSection(Section("profiles: [bios-virtio, uefi-nvme]\nsmoke: [uefi-nvme]"), smoke: true).Profiles.Select(p => p.Name).ShouldBe(["uefi-nvme"]);
        ValidationPlan.FromSection(Section("profiles: [bios-virtio, uefi-nvme]\nsmoke: [uefi-nvme]")).Profiles.Count.ShouldBe(2, "smoke counts for emergencies only");
        ValidationPlan.FromSection(withoutSmoke, smoke: true).Profiles.ShouldHaveSingleItem().Name.ShouldBe("uefi-nvme");
    }

    [Theory]
    [InlineData("checks: [ { smell: roses } ]", "unknown check 'smell'")]
    [InlineData("profiles: [ { name: x, nic: token-ring } ]", "'nic' must be virtio, e1000 or rtl8139")]
    [InlineData("retries: 5", "retries must be 0 or 1")]
    public void A_bad_section_says_what_to_fix(string yaml, string expected) =>
        Should.Throw<Exception>(() => ValidationPlan.FromSection(Section(yaml))).Message.ShouldContain(expected);
}
