using System.Globalization;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Tests.Deploy;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Tests.Support;

namespace ImagePipeline.Validation.Tests.Lab;

/// <summary>
/// What goes wrong on real floors, on the production path (desired images in the real boot
/// service, power cycles through the Redfish BMCs, the agent writing the disk): the power cut
/// mid-write, the cable pulled mid-download. Six machines deployed in waves are in
/// <see cref="LabRolloutTests"/>.
/// </summary>
[Collection(LabTestGroup.Name)]
public sealed class LabDeployTests(DeployEnvironmentFixture deploy)
{
    private static readonly Regex Login = new("tiny login: ");
    private static readonly Regex Written = new(@"imagepipeline-agent: written in [^\n]*, ([0-9]+) resumes\)");
    private static readonly Regex Rebooting = new("imagepipeline-agent: reported; rebooting into the new image");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Two floor accidents at once, on two machines of one lab (they share the cores instead of
    /// taking turns): lab-1's power is cut mid-write; lab-2's cable is pulled mid-download.
    /// </summary>
    [Fact]
    public async Task A_power_cut_mid_write_and_a_cable_pulled_mid_download_both_end_healthy_and_the_half_written_disk_never_boots()
    {
        await using var lab = await TestLab.StartAsync(deploy, "accidents", "bios-virtio", "uefi-virtio");
        var cut = lab.Fleet["lab-1"];
        var deploying = lab.DeployAsync(deploy.TinyImageId, TimeSpan.FromMinutes(8), "lab-1", "lab-2");

        var power = CutThePowerMidWriteAsync(lab, cut);
        var cable = PullTheCableMidDownloadAsync(lab);
        var (cutAt, head, written) = await power;
        await cable;
        var outcomes = await deploying;

        outcomes.Select(o => (o.Name, o.Healthy, o.Error)).ShouldBe([("lab-1", true, null), ("lab-2", true, null)]);
        // The power cut: the first MiB was still blank, the write well past it; after power-on the
        // machine netbooted, was deployed again (attempt 2), and never booted the half-written disk.
        head.StandardOutput.ShouldNotContain("Pattern verification failed", customMessage: "the first MiB (partition tables, boot code) is still blank after the cut");
        written.ShouldBeGreaterThan(16L << 20, "the write had got well past the first MiB when the power went");
        var afterCut = cut.Vm.Console.TextSince(cutAt);
        var redeployed = Rebooting.Match(afterCut);
        redeployed.Success.ShouldBeTrue("the machine was deployed again after the cut");
        afterCut[..redeployed.Index].ShouldNotMatch(Login.ToString(), "the half-written disk never booted");
        afterCut[..redeployed.Index].ShouldContain("imagepipeline-agent: registering");
        (await lab.BootService.EventsAsync(cut.Mac, Ct)).ShouldContain(e => e.Detail.Contains("(attempt 2 of 3)", StringComparison.Ordinal));
        // The cable: the agent resumed with a Range request once the link was back.
        var address = (await lab.BootService.GetAsync(lab.Fleet["lab-2"].Mac, Ct))!.Address;
        var resumed = new Regex($@"HTTP \S*{Regex.Escape(address!)} GET /images/[0-9a-f]{{64}}/disk\.raw\.zst bytes=([1-9][0-9]*)- -> 206").Match(lab.Fleet.BootService!.Output);
        resumed.Success.ShouldBeTrue("the boot service served a Range request after the cable came back");
        var summary = Written.Match(lab.Fleet["lab-2"].Vm.Console.Text);
        summary.Success.ShouldBeTrue("the agent said how the image was written");
        // At least one: a request for the rest that did not get through (the link just back) is counted too.
        int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(1, $"the agent resumed the download: {summary.Value}");
    }

    private static async Task<(int CutAt, BufferedCommandResult Head, long Written)> CutThePowerMidWriteAsync(TestLab lab, Validation.Lab.LabMachine machine)
    {
        await WaitForWrittenAsync(lab, machine.Id, 64L << 20);
        var system = await lab.Redfish.GetSystemAsync(TestLab.SystemPath(machine.Id), Ct);
        await lab.Redfish.ResetAsync(system, "ForceOff", Ct);
        var cutAt = machine.Vm.Console.Position;
        var disk = Path.Combine(machine.Vm.Directory, "overlay.qcow2");
        var head = await CliWrap.Cli.Wrap("qemu-io").WithArguments(["-r", "-f", "qcow2", "-c", "read -P 0 0 1M", disk])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(Ct);
        var map = await CliWrap.Cli.Wrap("qemu-img").WithArguments(["map", "--output=json", disk]).ExecuteBufferedAsync(Ct);
        var written = System.Text.Json.Nodes.JsonNode.Parse(map.StandardOutput)!.AsArray()
            .Where(r => r!["data"]!.GetValue<bool>()).Sum(r => r!["length"]!.GetValue<long>());
        await lab.Redfish.ResetAsync(system, "On", Ct);
        return (cutAt, head, written);
    }

    private static async Task PullTheCableMidDownloadAsync(TestLab lab)
    {
        await WaitForWrittenAsync(lab, "lab-2", 48L << 20);
        await lab.Fleet.SetLinkAsync("lab-2", up: false, Ct);
        await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        await lab.Fleet.SetLinkAsync("lab-2", up: true, Ct);
    }

    /// <summary>Waits until the agent reports at least this many bytes written (its progress, about once a second).</summary>
    private static Task WaitForWrittenAsync(TestLab lab, string id, long bytes) =>
        Retry.UntilAsync($"{id} to have written {bytes >> 20} MiB", async token =>
        {
            var done = (await lab.BootService.DetailAsync(lab.Fleet[id].Mac, token))?.Progress?.BytesDone;
            return done >= bytes ? null : $"{(done ?? 0) >> 20} MiB so far";
        }, TimeSpan.FromMinutes(4), cancellationToken: Ct);
}
