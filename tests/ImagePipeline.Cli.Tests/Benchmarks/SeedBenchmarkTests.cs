using ImagePipeline.BootService.Contract;
using ImagePipeline.Cli.Benchmarks;
using ImagePipeline.Validation.Lab.Deployment;

namespace ImagePipeline.Cli.Tests.Benchmarks;

/// <summary>How bench seed lays the boot service's phases and the installer's console lines into the rows it compares.</summary>
public sealed class SeedBenchmarkTests
{
    private static DeployOutcome Outcome(params (string Phase, double Seconds)[] phases) =>
        new("bios-virtio", "52:54:00:1a:b0:01", true, MachineState.Healthy, null, phases.Sum(p => p.Seconds), [.. phases.Select(p => new PhaseTiming(p.Phase, p.Seconds))]);

    [Fact]
    public void The_installer_s_write_is_split_into_install_and_configuration_by_its_console_lines()
    {
        var outcome = Outcome(("power-on to DHCP", 5), ("DHCP to script", 1), ("deploy environment up", 12), ("write", 1500), ("reboot", 10), ("healthy", 20));
        const string console = """
            imagepipeline-install: phase environment 0.9
            imagepipeline-install: phase partition 7.1
            imagepipeline-install: phase install 1400.5
            imagepipeline-install: phase configuration 60.5
            imagepipeline-install: phase bootloader 3.0
            """;

        var phases = SeedBenchmark.Phases(outcome, console);

        phases["netboot (power-on → environment up)"].ShouldBe(18);
        phases["write or install"].ShouldBe(1439.5);
        phases["configuration"].ShouldBe(60.5);
        phases["reboot"].ShouldBe(10);
        phases["boot → healthy report"].ShouldBe(20);
    }

    [Fact]
    public void An_image_deploy_has_no_configuration_phase_and_a_failed_one_shows_only_what_it_reached()
    {
        var image = SeedBenchmark.Phases(Outcome(("power-on to DHCP", 5), ("DHCP to script", 1), ("deploy environment up", 10), ("write", 23), ("reboot", 10), ("healthy", 22)), "");
        image.ContainsKey("configuration").ShouldBeFalse();
        image["write or install"].ShouldBe(23);

        var failed = SeedBenchmark.Phases(Outcome(("power-on to DHCP", 5), ("DHCP to script", 1), ("deploy environment up", 12)), "imagepipeline-install: phase partition 7.1\n");
        failed.Keys.ShouldBe(["netboot (power-on → environment up)"]);
    }
}
