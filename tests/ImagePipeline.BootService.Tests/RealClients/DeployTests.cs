using System.Globalization;
using System.Text.RegularExpressions;
using ImagePipeline.ArtifactStore;
using ImagePipeline.BootService.Tests.Support;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Chunks;
using ImagePipeline.Recipes;
using ImagePipeline.Tests.Deploy;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Networks;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.BootService.Tests.RealClients;

/// <summary>
/// The production path, rehearsed: a bare machine with a blank disk PXE-boots, the agent in the
/// deploy environment writes its desired image whole, reports and reboots; the next PXE boot hands
/// it to its disk, the image comes up, and the agent inside it reports the machine healthy. Then
/// it is told to deploy the next build of that image (one file changed): the agent finds the
/// previous build on the disk, fetches only the chunks the disk lacks, and leaves the disk holding
/// the next build exactly as a full write does.
/// </summary>
public sealed class DeployTests(DeployEnvironmentFixture deploy)
{
    private const string Mac = "52:54:00:50:00:01";
    private const string AdminToken = "deploy-test-admin";
    /// <summary>The first MiB: the agent writes it last, with the report agent's configuration added.</summary>
    private const int HeadBytes = 1 << 20;
    private static readonly Regex LoginPrompt = new("tiny login: ");
    private static readonly Regex DeltaWritten = new(@"imagepipeline-agent: written in [0-9.]+ s by delta: (?<fetched>[0-9]+) chunks fetched");
    private static readonly Regex ChunkBatch = new(@"chunks: \S+ image (?<image>[0-9a-f]{64}): (?<count>[0-9]+) chunks");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_blank_machine_gets_its_image_whole_boots_it_healthy_and_then_its_next_build_by_delta_byte_for_byte()
    {
        var next = await BuildNextAsync();
        await using var network = await VirtualNetwork.CreateAsync("deploy", Ct);
        await using var service = await BootServiceProcess.StartAsync(network, deploy, deploy.DataDirectory, "--admin-token", AdminToken);
        await service.PutAsync($"/api/v1/machines/{Mac}/desired-image", $$"""{"imageId":"{{deploy.TinyImageId}}"}""", AdminToken);
        var tap = await network.AddTapAsync(Ct);
        var machine = QemuMachine.Create("deploy-bios").WithMemory(768).WithNetwork(NetworkAttachment.Tap(network.Namespace, tap))
            .WithMac(Mac).WithNetworkBoot(NetworkBoot.IpxeRom);

        await using var vm = await QemuVm.StartBlankAsync(machine, 1L << 30, cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(AgentConsoleLines.Rebooting, TimeSpan.FromSeconds(180), cancellationToken: Ct);
        await vm.WaitForExitAsync(Ct);
        var afterWrite = await service.GetAsync($"/api/v1/machines/{Mac}");
        vm.Console.Text.ShouldContain("holds no partition table", customMessage: "a blank disk gets the whole stream");
        await vm.PowerOnAsync(Ct);
        await vm.WaitForConsoleTextAsync(LoginPrompt, TimeSpan.FromSeconds(120), cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(AgentConsoleLines.HealthReported, TimeSpan.FromSeconds(120), cancellationToken: Ct);
        var healthy = await service.GetAsync($"/api/v1/machines/{Mac}");

        afterWrite.ShouldContain("\"state\":\"Booting\"");
        afterWrite.ShouldContain($"\"currentImage\":\"{deploy.TinyImageId}\"");
        afterWrite.ShouldContain("\"lastDeploy\":{\"method\":\"full\"");
        healthy.ShouldContain("\"state\":\"Healthy\"");
        var events = await service.GetAsync($"/api/v1/machines/{Mac}/events");
        events.ShouldContain($"image {deploy.TinyImageId} healthy: kernel 6.1");
        events.ShouldContain("1 checks passed");
        events.ShouldContain("\"kind\":\"registered\"");
        events.ShouldContain("to /dev/vda");
        service.Output.Split('\n').Count(l => l.Contains($"GET /boot/{Mac}.ipxe", StringComparison.Ordinal)).ShouldBe(2);
        service.Output.Split('\n').Count(l => l.Contains("GET /files/deploy/vmlinuz", StringComparison.Ordinal)).ShouldBe(1, "the second boot goes to the disk, not to another deployment");

        // The operator asks for the next build; the machine is power-cycled (as a BMC would) and netboots into a deployment.
        await service.PutAsync($"/api/v1/machines/{Mac}/desired-image", $$"""{"imageId":"{{next.ImageId}}"}""", AdminToken);
        await vm.CrashAsync();
        var since = vm.Console.Position;
        await vm.PowerOnAsync(Ct);
        var written = await vm.WaitForConsoleTextAsync(DeltaWritten, TimeSpan.FromSeconds(240), since, cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(AgentConsoleLines.Rebooting, TimeSpan.FromSeconds(60), since, cancellationToken: Ct);
        await vm.WaitForExitAsync(Ct);

        var served = ChunkBatch.Matches(service.Output).Where(m => m.Groups["image"].Value == next.ImageId).Sum(m => int.Parse(m.Groups["count"].Value, CultureInfo.InvariantCulture));
        var fetched = int.Parse(written.Groups["fetched"].Value, CultureInfo.InvariantCulture);
        served.ShouldBe(fetched, "the boot service served exactly the chunks the agent fetched");
        fetched.ShouldBeGreaterThan(0);
        // The previous build ran (its ext4 root was mounted and written) and mkfs.ext4 -d lays out every
        // file after a changed one anew: more than one file's chunks differ, still a small part of the image.
        events = await service.GetAsync($"/api/v1/machines/{Mac}/events");
        var mebibytes = double.Parse(Regex.Match(events, @"delta: (?<mib>[0-9.]+) MiB fetched").Groups["mib"].Value, CultureInfo.InvariantCulture);
        (mebibytes * 1048576).ShouldBeLessThan(next.Index.DiskLength / 10.0, "a one-file change moves under a tenth of the image");
        (await service.GetAsync($"/api/v1/machines/{Mac}")).ShouldContain("\"lastDeploy\":{\"method\":\"delta\"");

        // Byte for byte the next build past the first MiB (there the deployer adds the report agent's configuration).
        var disk = Path.Combine(Path.GetTempPath(), $"imagepipe-delta-{Guid.NewGuid():N}.raw");
        try
        {
            await CliWrap.Cli.Wrap("qemu-img").WithArguments(["convert", "-f", "qcow2", "-O", "raw", vm.DiskPath, disk]).ExecuteAsync(Ct);
            await using var onDisk = File.OpenRead(disk);
            await using var expected = File.OpenRead(Path.Combine(next.Directory, ArtifactStoreLayout.RawDisk));
            (await FirstDifferenceAsync(onDisk, expected, HeadBytes, expected.Length)).ShouldBeNull();
        }
        finally
        {
            File.Delete(disk);
        }
    }

    /// <summary>tiny's next build: the same recipe with its motd changed.</summary>
    private async Task<(string ImageId, string Directory, ChunkIndex Index)> BuildNextAsync()
    {
        using var turn = await SharedBuildData.TakeTurnAsync(Ct);
        var agent = await ImagePipeline.Cli.AgentBinary.EnsurePublishedAsync(Ct);
        var yaml = (await File.ReadAllTextAsync(RepositoryLayout.Example("tiny"), Ct)).Replace("tiny: an ImagePipeline example image", "tiny: the next build", StringComparison.Ordinal)
            + "  checks:\n    - command: { run: \"uname -r\", output: \"amd64\" }\n";
        var built = await new ImageBuilder(new BuildOptions { DataDirectory = deploy.DataDirectory, ReportAgent = agent }, NullBuildObserver.Instance)
            .BuildAsync(RecipeParser.Parse(yaml, RepositoryLayout.Example("tiny")), Ct);
        built.Manifest.ImageId.ShouldNotBe(deploy.TinyImageId);
        var index = ChunkIndex.Parse(await File.ReadAllBytesAsync(Path.Combine(built.Directory, ArtifactStoreLayout.ChunkIndex), Ct));
        return (built.Manifest.ImageId, built.Directory, index);
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
}
