using System.CommandLine;
using ImagePipeline.Builder;
using ImagePipeline.Cli.Lab;
using ImagePipeline.Validation.Lab;
using ImagePipeline.Validation.Profiles;

namespace ImagePipeline.Cli.Verbs;

/// <summary>
/// <c>imagepipe demo</c>: the most complete path that works today — build the tiny example,
/// validate it in QEMU across its hardware matrix (BIOS and UEFI, virtio, NVMe, SATA, e1000), then
/// roll it onto a virtual fleet of four blank machines that netboot from the boot service, each
/// behind a Redfish BMC, until every one reports healthy from inside the image. Approval in the
/// web UI and waves join this chain as they land.
/// </summary>
public static class DemoVerb
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var autoApprove = new Option<bool>("--auto-approve") { Description = "approve the candidate unattended (accepted now; approval arrives with the web UI)" };
        var command = new Command("demo", "Build the tiny example, validate it in QEMU across its hardware matrix, roll it onto a virtual fleet of four netbooting machines.") { data, autoApprove };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // The image carries the agent that reports its health: the rollout waits for that report.
            var options = new BuildOptions { DataDirectory = DataDirectory.Resolve(parse.GetValue(data)), ReportAgent = await AgentBinary.EnsurePublishedAsync(cancellationToken) };
            Console.WriteLine("ImagePipeline demo: build → validate → roll out onto a virtual fleet. Approval in the web UI and waves are not built yet.");
            Console.WriteLine();
            var (code, build) = await BuildVerb.RunAsync(RepositoryPaths.Example("tiny"), options, json: false, cancellationToken);
            if (code != ExitCodes.Success)
                return code;

            Console.WriteLine();
            code = await ValidateVerb.RunAsync(build!.Directory, [], json: false, options.DataDirectory, cancellationToken);
            Console.WriteLine();
            if (code != ExitCodes.Success)
            {
                Console.WriteLine("demo failed: see the validation report above.");
                return code;
            }

            var fleet = LabOptions.DefaultProfiles.Take(4).Select(HardwareProfiles.Get).ToList();
            Console.WriteLine($"rolling {build.Manifest.ImageId[..12]} onto a virtual fleet: {string.Join(", ", fleet.Select(p => p.Name))} (blank disks, netboot, Redfish BMCs)");
            var outcomes = await FreshLab.DeployAsync(options.DataDirectory, build.Manifest, fleet, "demo", TimeSpan.FromMinutes(10),
                line => Console.WriteLine($"  {DateTimeOffset.Now:HH:mm:ss} {line}"), null, cancellationToken);
            LabVerb.PrintOutcomes(outcomes);
            Console.WriteLine();
            Console.WriteLine(outcomes.All(o => o.Healthy)
                ? $"demo done: image {build.Manifest.ImageId} was validated and is running healthy on {outcomes.Count} machines."
                : "demo failed: not every machine reported healthy (see above).");
            return outcomes.All(o => o.Healthy) ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }
}
