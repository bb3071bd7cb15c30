using System.Text.RegularExpressions;
using ImagePipeline.BootService.Tests.Support;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Recipes;
using ImagePipeline.Tests.Deploy;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Networks;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.BootService.Tests.RealClients;

/// <summary>
/// In-place A/B updates on a lab machine that netbooted once and got tiny built with
/// <c>slots: ab</c> from the deploy agent, and boots from its disk since. Its desired image is set
/// with mode in-place: the agent of its running system, asking every few seconds, takes it, writes
/// the next build into slot B by delta, and reboots into one trial boot: the new image reports
/// healthy and marks its slot good. Then an image that panics at boot goes into slot A with the boot service stopped:
/// the trial boot panics, and the firmware's boot loader (SYSLINUX's boot-once on BIOS,
/// systemd-boot's boot counting on UEFI) takes slot B again by itself, and once the boot service is
/// back, the machine's report says it fell back and why.
/// </summary>
public abstract class InPlaceUpdateTests(DeployEnvironmentFixture deploy)
{
    private const string AdminToken = "in-place-test-admin";
    private static readonly Regex WrittenInPlace = new(@"imagepipeline-agent: written in place in [0-9.]+ s: (?<fetched>[0-9]+) chunks fetched");
    private static readonly Regex MarkedGood = new("imagepipeline-agent: slot b marked good");
    private static readonly Regex FailedReport = new("imagepipeline-agent: health reported to .*: failed: image [0-9a-f]{64} did not come up healthy");
    private static readonly Regex FellBack = new(@"imagepipeline-agent: slot a \(image (?<image>[0-9a-f]{64})\) failed its trial boot: back on slot b");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The scenario on one firmware (each its own test class, so the two run side by side).</summary>
    protected async Task UpdatesInPlaceAndFallsBackAsync(Firmware firmware, string mac)
    {
        var (first, next, panicking) = await BuildAsync();
        await using var network = await VirtualNetwork.CreateAsync($"inplace-{firmware.ToString().ToLowerInvariant()}", Ct);
        var service = await StartServiceAsync(network);
        var serviceRunning = true;
        try
        {
            // A lab machine with a blank disk netboots, and the deploy agent writes the first image whole.
            // Through the NIC's iPXE ROM on both firmwares: OVMF's own PXE is PxeBootTests' subject, and
            // here only the first deploy netboots.
            await service.PutAsync($"/api/v1/machines/{mac}/desired-image", $$"""{"imageId":"{{first.Id}}"}""", AdminToken);
            var machine = QemuMachine.Create($"inplace-{firmware.ToString().ToLowerInvariant()}").WithFirmware(firmware).WithMemory(768)
                .WithNetwork(NetworkAttachment.Tap(network.Namespace, await network.AddTapAsync(Ct))).WithMac(mac)
                .WithNetworkBoot(NetworkBoot.IpxeRom);
            await using var vm = await QemuVm.StartBlankAsync(machine, 1L << 30, cancellationToken: Ct);
            await vm.WaitForConsoleTextAsync(AgentConsoleLines.Rebooting, TimeSpan.FromSeconds(240), cancellationToken: Ct);
            await vm.WaitForExitAsync(Ct);
            // From now on it boots from its disk (a BMC's boot override): the updates below need no netboot.
            await vm.PowerOnAsync(machine.WithNetworkBoot(NetworkBoot.None), Ct);
            await vm.WaitForConsoleTextAsync(AgentConsoleLines.HealthReported, TimeSpan.FromSeconds(120), cancellationToken: Ct);
            (await vm.SucceedAsync("cat /proc/cmdline", cancellationToken: Ct)).ShouldContain("imagepipeline.slot=a");

            // The next build, in place: the machine's agent asks on its own, writes slot B by delta, reboots into one trial boot; healthy, marked good.
            var since = vm.Console.Position;
            await service.PutAsync($"/api/v1/machines/{mac}/desired-image", $$"""{"imageId":"{{next.Id}}","mode":"in-place"}""", AdminToken);
            var written = await vm.WaitForConsoleTextAsync(WrittenInPlace, TimeSpan.FromSeconds(300), since, cancellationToken: Ct);
            await vm.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
            vm.Console.TextSince(since).ShouldContain("armed for one trial boot");
            int.Parse(written.Groups["fetched"].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
            since = vm.Console.Position;
            await vm.PowerOnAsync(Ct);
            await vm.WaitForConsoleTextAsync(MarkedGood, TimeSpan.FromSeconds(120), since, cancellationToken: Ct);
            (await vm.SucceedAsync("cat /proc/cmdline", cancellationToken: Ct)).ShouldContain("imagepipeline.slot=b");
            (await vm.SucceedAsync("cat /etc/motd", cancellationToken: Ct)).ShouldContain("tiny: the next build");
            var healthy = await service.GetAsync($"/api/v1/machines/{mac}");
            healthy.ShouldContain("\"state\":\"Healthy\"");
            healthy.ShouldContain($"\"currentImage\":\"{next.Id}\"");
            (await service.GetAsync($"/api/v1/machines/{mac}/events")).ShouldContain("slot b");

            // An image that panics at boot goes into slot A; its trial boot happens with the boot service gone.
            since = vm.Console.Position;
            await service.PutAsync($"/api/v1/machines/{mac}/desired-image", $$"""{"imageId":"{{panicking.Id}}","mode":"in-place"}""", AdminToken);
            await vm.WaitForConsoleTextAsync(WrittenInPlace, TimeSpan.FromSeconds(300), since, cancellationToken: Ct);
            await vm.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
            vm.Console.TextSince(since).ShouldContain("slot a holds image");
            await service.DisposeAsync();
            serviceRunning = false;
            since = vm.Console.Position;
            await vm.PowerOnAsync(Ct);
            await vm.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
            vm.Console.TextSince(since).ShouldContain("Kernel panic");
            since = vm.Console.Position;
            await vm.PowerOnAsync(Ct);
            var fell = await vm.WaitForConsoleTextAsync(FellBack, TimeSpan.FromSeconds(120), since, cancellationToken: Ct);
            fell.Groups["image"].Value.ShouldBe(panicking.Id);
            (await vm.SucceedAsync("cat /proc/cmdline", cancellationToken: Ct)).ShouldContain("imagepipeline.slot=b");
            (await vm.SucceedAsync("cat /etc/motd", cancellationToken: Ct)).ShouldContain("tiny: the next build");

            // The boot service back: the agent's report, retried all along, says the machine fell back and why.
            since = vm.Console.Position;
            service = await StartServiceAsync(network);
            serviceRunning = true;
            await vm.WaitForConsoleTextAsync(FailedReport, TimeSpan.FromSeconds(90), since, cancellationToken: Ct);
            var failed = await service.GetAsync($"/api/v1/machines/{mac}");
            failed.ShouldContain("\"state\":\"Failed\"");
            failed.ShouldContain($"\"currentImage\":\"{next.Id}\"");
            failed.ShouldContain($"image {panicking.Id} did not come up healthy on its trial boot; the machine fell back to slot b");
        }
        finally
        {
            if (serviceRunning)
                await service.DisposeAsync();
        }
    }

    /// <summary>The boot service, telling healthy agents to ask for in-place updates every 2 s (30 by default).</summary>
    private Task<BootServiceProcess> StartServiceAsync(VirtualNetwork network) =>
        BootServiceProcess.StartAsync(network, deploy, deploy.DataDirectory, "--admin-token", AdminToken, "--update-check-seconds", "2");

    /// <summary>tiny with A/B slots; its next build (the motd changed); and a build whose start crashes the kernel.</summary>
    private async Task<((string Id, string Directory) First, (string Id, string Directory) Next, (string Id, string Directory) Panicking)> BuildAsync()
    {
        using var turn = await SharedBuildData.TakeTurnAsync(Ct);
        var agent = await ImagePipeline.Cli.AgentBinary.EnsurePublishedAsync(Ct);
        var tiny = (await File.ReadAllTextAsync(RepositoryLayout.Example("tiny"), Ct))
            .Replace("disk: { size: 512MiB, root: ext4, esp: 64MiB }", "disk: { size: 512MiB, root: ext4, esp: 64MiB, slots: ab }", StringComparison.Ordinal);
        tiny.ShouldContain("slots: ab");
        var builder = new ImageBuilder(new BuildOptions { DataDirectory = deploy.DataDirectory, ReportAgent = agent }, NullBuildObserver.Instance);
        async Task<(string, string)> Build(string yaml)
        {
            var built = await builder.BuildAsync(RecipeParser.Parse(yaml, RepositoryLayout.Example("tiny")), Ct);
            return (built.Manifest.ImageId, built.Directory);
        }

        var next = tiny.Replace("tiny: an ImagePipeline example image", "tiny: the next build", StringComparison.Ordinal);
        var panicking = tiny.Replace("files:\n", "files:\n  - path: /etc/rc.d/00-crash\n    content: \"#!/bin/sh\\necho c > /proc/sysrq-trigger\\n\"\n    mode: \"0755\"\n", StringComparison.Ordinal)
            + "cmdline: panic=1\n";
        return (await Build(tiny), await Build(next), await Build(panicking));
    }
}

/// <summary><see cref="InPlaceUpdateTests"/> on SeaBIOS: SYSLINUX's boot-once label.</summary>
public sealed class BiosInPlaceUpdateTests(DeployEnvironmentFixture deploy) : InPlaceUpdateTests(deploy)
{
    [Fact]
    public Task A_running_machine_updates_into_its_other_slot_and_a_panicking_image_falls_back_without_the_network() =>
        UpdatesInPlaceAndFallsBackAsync(Firmware.Bios, "52:54:00:50:01:01");
}

/// <summary><see cref="InPlaceUpdateTests"/> on OVMF: systemd-boot's boot counting.</summary>
public sealed class UefiInPlaceUpdateTests(DeployEnvironmentFixture deploy) : InPlaceUpdateTests(deploy)
{
    [Fact]
    public Task A_running_machine_updates_into_its_other_slot_and_a_panicking_image_falls_back_without_the_network() =>
        UpdatesInPlaceAndFallsBackAsync(Firmware.Uefi, "52:54:00:50:01:02");
}
