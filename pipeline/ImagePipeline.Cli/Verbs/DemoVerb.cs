using System.CommandLine;
using System.Text.RegularExpressions;
using ImagePipeline.Builder;
using ImagePipeline.Validation.Boot;
using ImagePipeline.Validation.Machines;

namespace ImagePipeline.Cli.Verbs;

/// <summary>
/// <c>imagepipe demo</c>: the most complete path that works today — build the tiny example and
/// boot it under UEFI (OVMF) and legacy BIOS (SeaBIOS) in QEMU. Validation across the hardware
/// matrix, approval and rollout join this chain as they land.
/// </summary>
public static class DemoVerb
{
    private static readonly Regex LoginPrompt = new(@"login: ?$", RegexOptions.Multiline);

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var autoApprove = new Option<bool>("--auto-approve") { Description = "approve the candidate unattended (accepted now; approval arrives with the web UI)" };
        var command = new Command("demo", "Build the tiny example image and boot it in QEMU under UEFI and BIOS.") { data, autoApprove };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new BuildOptions { DataDirectory = DataDirectory.Resolve(parse.GetValue(data)) };
            Console.WriteLine("ImagePipeline demo: build → boot (UEFI and BIOS). Validation, approval and rollout are not built yet.");
            Console.WriteLine();
            var (code, build) = await BuildVerb.RunAsync(RepositoryPaths.Example("tiny"), options, json: false, cancellationToken);
            if (code != ExitCodes.Success)
                return code;
            var image = build!.Directory;

            Console.WriteLine();
            var failed = false;
            foreach (var machine in new[]
            {
                QemuMachine.Create("uefi-virtio").WithFirmware(Firmware.Uefi),
                QemuMachine.Create("bios-virtio").WithFirmware(Firmware.Bios),
            })
            {
                Console.Write($"  booting {machine.Name,-12} ");
                var outcome = await DiskBootProbe.BootAsync(machine, Path.Combine(image, "disk.qcow2"), LoginPrompt, TimeSpan.FromSeconds(90), cancellationToken);
                Console.WriteLine(outcome.ReachedMarker ? $"login prompt after {outcome.Elapsed.TotalSeconds:0.0} s" : $"FAILED: {outcome.Failure}");
                failed |= !outcome.ReachedMarker;
            }

            Console.WriteLine();
            Console.WriteLine(failed ? "demo failed: see above" : $"demo done: image {Path.GetFileName(image)} boots under UEFI and BIOS.");
            return failed ? ExitCodes.Failed : ExitCodes.Success;
        });
        return command;
    }
}
