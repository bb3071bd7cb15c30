using System.Diagnostics;
using System.Text.Json;
using ImagePipeline.Validation.Checks;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Profiles;
using ImagePipeline.Validation.Running;
using ImagePipeline.Validation.Tests.Support;
using System.Text.RegularExpressions;

namespace ImagePipeline.Validation.Tests.Running;

public sealed class ValidationRunnerTests(TestImages images) : IClassFixture<TestImages>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_tiny_example_passes_the_default_matrix_and_the_report_is_written_beside_it()
    {
        var report = await ValidationRunner.RunAsync(images.TinyDirectory, ValidationPlan.Default(), cancellationToken: Ct);

        report.Passed.ShouldBeTrue(string.Join("\n", report.Profiles.SelectMany(p => p.Checks.Where(c => c.Outcome != CheckResult.Pass).Select(c => $"{p.Profile} {c.Check}: {c.Reason}"))));
        report.Profiles.Select(p => p.Profile).ShouldBe(ValidationPlan.DefaultProfiles);
        report.Profiles.ShouldAllBe(p => p.BootSeconds > 0 && p.Checks.All(c => c.Outcome == CheckResult.Pass));
        var evidence = Path.Combine(images.TinyDirectory, "validation");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(evidence, "report.json"), Ct));
        json.RootElement.GetProperty("passed").GetBoolean().ShouldBeTrue();
        foreach (var profile in ValidationPlan.DefaultProfiles)
            (await File.ReadAllTextAsync(Path.Combine(evidence, $"{profile}.serial.log"), Ct)).ShouldContain("imagepipeline-report:");
    }

    [Fact]
    public async Task Recipe_checks_of_every_kind_pass_on_a_serving_image()
    {
        var plan = new ValidationPlan([HardwareProfiles.Get("bios-virtio")],
        [
            new ReadyCheck(ReadyCheck.LoginPrompt, TimeSpan.FromSeconds(120)),
            new ConsoleCheck(new Regex("imagepipeline: tiny started"), TimeSpan.FromSeconds(60)),
            new CommandCheck("cat /www/index.html", new Regex("tiny web"), TimeSpan.FromSeconds(60)),
            new TcpCheck(80, TimeSpan.FromSeconds(60)),
            new HttpCheck(80, "/index.html", 200, new Regex("<h1>tiny web</h1>"), TimeSpan.FromSeconds(60)),
            new ScreenshotCheck(),
            new KernelHealthCheck(),
        ], 0);

        var report = await ValidationRunner.RunAsync(images.WebDirectory, plan, cancellationToken: Ct);

        var profile = report.Profiles.ShouldHaveSingleItem();
        profile.Checks.ShouldAllBe(c => c.Outcome == CheckResult.Pass, string.Join("\n", profile.Checks.Select(c => $"{c.Check}: {c.Outcome} {c.Reason}")));
        File.Exists(Path.Combine(images.WebDirectory, "validation", profile.Screenshots.ShouldHaveSingleItem())).ShouldBeTrue();
    }

    [Fact]
    public async Task A_failing_http_check_reports_the_reason_and_the_console_tail()
    {
        var plan = new ValidationPlan([HardwareProfiles.Get("bios-virtio")],
            [new ReadyCheck(ReadyCheck.LoginPrompt, TimeSpan.FromSeconds(120)), new HttpCheck(80, "/missing.html", 200, null, TimeSpan.FromSeconds(5)), new KernelHealthCheck()], 1);

        var report = await ValidationRunner.RunAsync(images.WebDirectory, plan, cancellationToken: Ct);

        report.Passed.ShouldBeFalse();
        var profile = report.Profiles.Single();
        var http = profile.Checks[1];
        (http.Outcome, http.Attempts).ShouldBe((CheckResult.Fail, 2));
        http.Reason!.ShouldContain("status 404");
        profile.Checks[2].Outcome.ShouldBe(CheckResult.NotRun);
        profile.ConsoleTail.ShouldNotBeNull().Count.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_kernel_without_the_NIC_driver_fails_with_a_diagnosis_not_a_timeout()
    {
        var virtioDiskE1000 = QemuMachine.Create("bios-virtio-e1000").WithNic(NicModel.E1000);

        var report = await ValidationRunner.RunAsync(images.CloudKernelDirectory, ValidationPlan.Default() with { Profiles = [virtioDiskE1000] }, cancellationToken: Ct);

        var network = report.Profiles.Single().Checks.Single(c => c.Check == "network");
        network.Outcome.ShouldBe(CheckResult.Fail);
        network.Reason!.ShouldContain("no network interface came up");
        network.Reason!.ShouldContain("E1000");
    }

    [Fact]
    public async Task A_kernel_panic_fails_the_profile_with_the_panic_lines_in_the_report()
    {
        var directory = Path.GetDirectoryName(images.Panicking)!;

        var report = await ValidationRunner.RunAsync(directory, ValidationPlan.Default(["bios-virtio"]), cancellationToken: Ct);

        var ready = report.Profiles.Single().Checks[0];
        ready.Outcome.ShouldBe(CheckResult.Fail);
        ready.Reason!.ShouldContain("Kernel panic - not syncing");
        report.Profiles.Single().ConsoleTail!.ShouldContain(line => line.Contains("Kernel panic", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancelling_a_run_leaves_no_QEMU_process_or_VM_directory()
    {
        // Profile names unique to this test: other tests boot VMs at the same time.
        var tag = $"cancelled-{Guid.NewGuid():N}"[..20];
        var plan = ValidationPlan.Default() with
        {
            Profiles = [QemuMachine.Create(tag + "-a"), QemuMachine.Create(tag + "-b").WithFirmware(Firmware.Uefi)],
        };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromSeconds(4));

        await Should.ThrowAsync<OperationCanceledException>(() => ValidationRunner.RunAsync(images.TinyDirectory, plan, cancellationToken: cancel.Token));

        Directory.GetDirectories(Path.GetTempPath(), $"imagepipe-vm-{Environment.ProcessId}-{tag}-*").ShouldBeEmpty();
        foreach (var qemu in Process.GetProcessesByName("qemu-system-x86_64"))
            (await File.ReadAllTextAsync($"/proc/{qemu.Id}/cmdline", Ct)).ShouldNotContain(tag);
    }
}
