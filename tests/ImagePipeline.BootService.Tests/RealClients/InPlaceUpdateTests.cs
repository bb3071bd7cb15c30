using System.Globalization;
using System.Text.RegularExpressions;
using ImagePipeline.ArtifactStore;
using ImagePipeline.BootService.Tests.Support;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Recipes;
using ImagePipeline.Tests.Deploy;
using ImagePipeline.Tests.Waiting;
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
/// back, the machine's report says it fell back and why. On BIOS the scenario goes on as the
/// production path's reimage: the machine is netbooted into the deploy environment and given the
/// first build again, which its agent writes by delta from what the disk holds (each slot's
/// chunks, moved), fetching only what it lacks, and the disk ends byte for byte the image. The
/// first power-on after the deploy netboots and gets the local-disk script, which boots the disk on
/// each firmware.
/// </summary>
public abstract class InPlaceUpdateTests(DeployEnvironmentFixture deploy) : IDisposable
{
    /// <summary>
    /// This scenario's boot service's own data (its boot database and DHCP leases), across its
    /// restarts; the images and chunks come from the shared store (<c>--artifacts</c>). The BIOS and
    /// UEFI scenarios run side by side on networks of the same subnet: with one boot database the
    /// two services each leased an address from their own pool into the same lease table, and a
    /// restarted one could load the other's lease for its machine's address first, give its machine
    /// another address, and the agent's token (bound to the first) was refused (401).
    /// </summary>
    private readonly DirectoryInfo serviceData = Directory.CreateTempSubdirectory("imagepipe-inplace-bootsvc-");

    private const string AdminToken = "in-place-test-admin";
    private static readonly Regex WrittenInPlace = new(@"imagepipeline-agent: written in place in [0-9.]+ s: (?<fetched>[0-9]+) chunks fetched");
    private static readonly Regex MarkedGood = new("imagepipeline-agent: slot b marked good");
    private static readonly Regex FailedReport = new("imagepipeline-agent: health reported to .*: failed: image [0-9a-f]{64} did not come up healthy");
    private static readonly Regex FellBack = new(@"imagepipeline-agent: slot a \(image (?<image>[0-9a-f]{64})\) failed its trial boot: back on slot b");
    private static readonly Regex DeltaWritten = new(@"imagepipeline-agent: written in [0-9.]+ s by delta: (?<fetched>[0-9]+) chunks fetched");
    private static readonly Regex ChunkBatch = new(@"chunks: \S+ image (?<image>[0-9a-f]{64}): (?<count>[0-9]+) chunks");
    /// <summary>The first MiB: the deploy agent writes it last, with the report agent's configuration added.</summary>
    private const int HeadBytes = 1 << 20;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The scenario on one firmware (each its own test class, so the two run side by side).</summary>
    /// <param name="thenReimageByDelta">at the end, the machine is netbooted and reimaged with the first build: by delta from what its disk holds, byte for byte</param>
    protected async Task UpdatesInPlaceAndFallsBackAsync(Firmware firmware, string mac, bool thenReimageByDelta = false)
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
            await vm.WaitForConsoleTextAsync(AgentConsoleLines.Rebooting, GuestWait.Deploy, cancellationToken: Ct);
            await vm.WaitForExitAsync(Ct);
            vm.Console.Text.ShouldContain("holds no partition table", customMessage: "a blank disk gets the whole stream");
            (await service.GetAsync($"/api/v1/machines/{mac}")).ShouldContain("\"lastDeploy\":{\"method\":\"full\"");
            // Its first power-on after the deploy netboots again, as a PXE-first server does: with
            // nothing to deploy, the boot service hands it the local-disk script (sanboot on BIOS; on
            // UEFI, exit to the firmware's next boot option) and it boots its disk, the deploy
            // environment not fetched again.
            var scriptRequest = new Regex($"GET /boot/{Regex.Escape(mac)}\\.ipxe");
            var (scripts, deployFetches) = (scriptRequest.Count(service.Output), Regex.Count(service.Output, "GET /files/deploy/"));
            await vm.PowerOnAsync(Ct);
            await vm.WaitForConsoleTextAsync(AgentConsoleLines.HealthReported, GuestWait.Boot, cancellationToken: Ct);
            (await vm.SucceedAsync("cat /proc/cmdline", cancellationToken: Ct)).ShouldContain("imagepipeline.slot=a");
            scriptRequest.Count(service.Output).ShouldBe(scripts + 1);
            Regex.Count(service.Output, "GET /files/deploy/").ShouldBe(deployFetches, "nothing to deploy: the deploy environment is not fetched again");

            // The next build, in place: the machine's agent asks on its own, writes slot B by delta, reboots into one trial boot; healthy, marked good.
            var since = vm.Console.Position;
            await service.PutAsync($"/api/v1/machines/{mac}/desired-image", $$"""{"imageId":"{{next.Id}}","mode":"in-place"}""", AdminToken);
            var written = await vm.WaitForConsoleTextAsync(WrittenInPlace, GuestWait.Deploy, since, cancellationToken: Ct);
            await vm.WaitForExitAsync(Ct).WaitAsync(GuestWait.Boot, Ct);
            vm.Console.TextSince(since).ShouldContain("armed for one trial boot");
            int.Parse(written.Groups["fetched"].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
            since = vm.Console.Position;
            // From now on it boots from its disk (a BMC's boot override): the updates below need no netboot.
            await vm.PowerOnAsync(machine.WithNetworkBoot(NetworkBoot.None), Ct);
            await vm.WaitForConsoleTextAsync(MarkedGood, GuestWait.Boot, since, cancellationToken: Ct);
            (await vm.SucceedAsync("cat /proc/cmdline", cancellationToken: Ct)).ShouldContain("imagepipeline.slot=b");
            (await vm.SucceedAsync("cat /etc/motd", cancellationToken: Ct)).ShouldContain("tiny: the next build");
            var healthy = await service.GetAsync($"/api/v1/machines/{mac}");
            healthy.ShouldContain("\"state\":\"Healthy\"");
            healthy.ShouldContain($"\"currentImage\":\"{next.Id}\"");
            (await service.GetAsync($"/api/v1/machines/{mac}/events")).ShouldContain("slot b");

            // An image that panics at boot goes into slot A; its trial boot happens with the boot service gone.
            since = vm.Console.Position;
            await service.PutAsync($"/api/v1/machines/{mac}/desired-image", $$"""{"imageId":"{{panicking.Id}}","mode":"in-place"}""", AdminToken);
            await vm.WaitForConsoleTextAsync(WrittenInPlace, GuestWait.Deploy, since, cancellationToken: Ct);
            await vm.WaitForExitAsync(Ct).WaitAsync(GuestWait.Boot, Ct);
            vm.Console.TextSince(since).ShouldContain("slot a holds image");
            await service.DisposeAsync();
            serviceRunning = false;
            since = vm.Console.Position;
            await vm.PowerOnAsync(Ct);
            await vm.WaitForExitAsync(Ct).WaitAsync(GuestWait.Boot, Ct);
            vm.Console.TextSince(since).ShouldContain("Kernel panic");
            since = vm.Console.Position;
            await vm.PowerOnAsync(Ct);
            var fell = await vm.WaitForConsoleTextAsync(FellBack, GuestWait.Boot, since, cancellationToken: Ct);
            fell.Groups["image"].Value.ShouldBe(panicking.Id);
            (await vm.SucceedAsync("cat /proc/cmdline", cancellationToken: Ct)).ShouldContain("imagepipeline.slot=b");
            (await vm.SucceedAsync("cat /etc/motd", cancellationToken: Ct)).ShouldContain("tiny: the next build");

            // The boot service back: the agent's report, retried all along, says the machine fell back and why.
            since = vm.Console.Position;
            service = await StartServiceAsync(network);
            serviceRunning = true;
            await vm.WaitForConsoleTextAsync(FailedReport, GuestWait.Boot, since, cancellationToken: Ct);
            var failed = await service.GetAsync($"/api/v1/machines/{mac}");
            failed.ShouldContain("\"state\":\"Failed\"");
            failed.ShouldContain($"\"currentImage\":\"{next.Id}\"");
            failed.ShouldContain($"image {panicking.Id} did not come up healthy on its trial boot; the machine fell back to slot b");

            if (thenReimageByDelta)
                await ReimagesByDeltaAsync(service, vm, machine, mac, first);
        }
        finally
        {
            if (serviceRunning)
                await service.DisposeAsync();
        }
    }

    /// <summary>
    /// The operator asks for the first build again, as a reimage: the machine is power-cycled (as a
    /// BMC would) into the deploy environment, whose agent finds most of the image on the disk (in
    /// its slots, moved), fetches only the chunks it lacks — the boot service's log counts exactly
    /// those — and leaves the disk holding the first build as a full write does.
    /// </summary>
    private static async Task ReimagesByDeltaAsync(BootServiceProcess service, QemuVm vm, QemuMachine netbooting, string mac, (string Id, string Directory) image)
    {
        await service.PutAsync($"/api/v1/machines/{mac}/desired-image", $$"""{"imageId":"{{image.Id}}"}""", AdminToken);
        await vm.CrashAsync();
        var since = vm.Console.Position;
        await vm.PowerOnAsync(netbooting, Ct);
        var written = await vm.WaitForConsoleTextAsync(DeltaWritten, GuestWait.Deploy, since, cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(AgentConsoleLines.Rebooting, GuestWait.Boot, since, cancellationToken: Ct);
        await vm.WaitForExitAsync(Ct);

        var served = ChunkBatch.Matches(service.Output).Where(m => m.Groups["image"].Value == image.Id).Sum(m => int.Parse(m.Groups["count"].Value, CultureInfo.InvariantCulture));
        var fetched = int.Parse(written.Groups["fetched"].Value, CultureInfo.InvariantCulture);
        served.ShouldBe(fetched, "the boot service served exactly the chunks the agent fetched");
        fetched.ShouldBeGreaterThan(0, "the ESP and the rewritten slot differ from what the disk held");
        var expected = Path.Combine(image.Directory, ArtifactStoreLayout.RawDisk);
        var events = await service.GetAsync($"/api/v1/machines/{mac}/events");
        var mebibytes = double.Parse(Regex.Match(events, @"delta: (?<mib>[0-9.]+) MiB fetched").Groups["mib"].Value, CultureInfo.InvariantCulture);
        (mebibytes * 1048576).ShouldBeLessThan(new FileInfo(expected).Length / 10.0, "the disk held most of the image: a tenth of it at most crossed the network");
        (await service.GetAsync($"/api/v1/machines/{mac}")).ShouldContain("\"lastDeploy\":{\"method\":\"delta\"");

        // Byte for byte the image past the first MiB (there the deployer adds the report agent's configuration).
        var disk = Path.Combine(Path.GetTempPath(), $"imagepipe-delta-{Guid.NewGuid():N}.raw");
        try
        {
            await CliWrap.Cli.Wrap("qemu-img").WithArguments(["convert", "-f", "qcow2", "-O", "raw", vm.DiskPath, disk]).ExecuteAsync(Ct);
            await using var onDisk = File.OpenRead(disk);
            await using var wanted = File.OpenRead(expected);
            (await FirstDifferenceAsync(onDisk, wanted, HeadBytes, wanted.Length)).ShouldBeNull();
        }
        finally
        {
            File.Delete(disk);
        }
    }

    private static async Task<long?> FirstDifferenceAsync(Stream left, Stream right, long from, long to)
    {
        var a = new byte[1 << 20];
        var b = new byte[1 << 20];
        left.Position = right.Position = from;
        for (var at = from; at < to;)
        {
            var count = (int)Math.Min(a.Length, to - at);
            await left.ReadExactlyAsync(a.AsMemory(0, count), Ct);
            await right.ReadExactlyAsync(b.AsMemory(0, count), Ct);
            var differs = a.AsSpan(0, count).CommonPrefixLength(b.AsSpan(0, count));
            if (differs < count)
                return at + differs;
            at += count;
        }

        return null;
    }

    /// <summary>The boot service, telling healthy agents to ask for in-place updates every 2 s (30 by default).</summary>
    private Task<BootServiceProcess> StartServiceAsync(VirtualNetwork network) =>
        BootServiceProcess.StartAsync(network, deploy, serviceData.FullName, "--admin-token", AdminToken, "--update-check-seconds", "2",
            "--artifacts", ArtifactStoreLayout.Root(deploy.DataDirectory));

    public void Dispose()
    {
        serviceData.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

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
    public Task A_running_machine_updates_into_its_other_slot_a_panicking_image_falls_back_without_the_network_and_a_reimage_moves_only_the_missing_chunks() =>
        UpdatesInPlaceAndFallsBackAsync(Firmware.Bios, "52:54:00:50:01:01", thenReimageByDelta: true);
}

/// <summary><see cref="InPlaceUpdateTests"/> on OVMF: systemd-boot's boot counting.</summary>
public sealed class UefiInPlaceUpdateTests(DeployEnvironmentFixture deploy) : InPlaceUpdateTests(deploy)
{
    [Fact]
    public Task A_running_machine_updates_into_its_other_slot_and_a_panicking_image_falls_back_without_the_network() =>
        UpdatesInPlaceAndFallsBackAsync(Firmware.Uefi, "52:54:00:50:01:02");
}
