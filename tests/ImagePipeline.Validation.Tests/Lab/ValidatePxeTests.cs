using System.Text.Json.Nodes;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Tests.Deploy;

namespace ImagePipeline.Validation.Tests.Lab;

/// <summary><c>imagepipe validate IMAGE --pxe</c>: the candidate goes through the same boot service and agent as production, and the report says where the time went.</summary>
[Collection(LabTestGroup.Name)]
public sealed class ValidatePxeTests(DeployEnvironmentFixture deploy)
{
    [Fact]
    public async Task Validate_over_pxe_deploys_the_image_to_a_blank_machine_and_passes_when_it_reports_healthy_with_the_phases_recorded()
    {
        var result = await CliWrap.Cli.Wrap("dotnet")
            .WithArguments([Path.Combine(AppContext.BaseDirectory, "imagepipe.dll"), "validate", deploy.TinyImageId[..16], "--pxe", "--profile", "bios-virtio", "--data", deploy.DataDirectory])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.StandardOutput + result.StandardError);
        result.StandardOutput.ShouldContain("✓ bios-virtio healthy");
        var evidence = Path.Combine(deploy.DataDirectory, "artifacts", "sha256", deploy.TinyImageId, "validation");
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(evidence, "pxe-report.json"), TestContext.Current.CancellationToken))!;
        report["passed"]!.GetValue<bool>().ShouldBeTrue();
        var phases = report["profiles"]![0]!["phases"]!.AsArray().Select(p => p!["phase"]!.GetValue<string>()).ToList();
        phases.ShouldBe(["power-on to DHCP", "DHCP to script", "deploy environment up", "write", "reboot", "healthy"]);
        report["profiles"]![0]!["phases"]![3]!["detail"]!.GetValue<string>().ShouldMatch(@"^512 MiB in [0-9.]+ s, [0-9]+ MB/s$");
        // The console is the evidence of the image's own report agent at work. Its line before the report, not
        // after it: validate powers the machine off once the boot service has the report, which may be before
        // the agent prints the acknowledgement.
        (await File.ReadAllTextAsync(Path.Combine(evidence, "pxe-bios-virtio.log"), TestContext.Current.CancellationToken)).ShouldContain("imagepipeline-agent: root is verity-protected: no");
    }
}
