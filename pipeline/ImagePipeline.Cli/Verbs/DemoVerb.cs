using System.CommandLine;
using ImagePipeline.Builder;

namespace ImagePipeline.Cli.Verbs;

/// <summary>
/// <c>imagepipe demo</c>: the most complete path that works today — build the tiny example and
/// validate it in QEMU across its hardware matrix (BIOS and UEFI, virtio, NVMe, SATA, e1000).
/// Approval and the rollout onto a virtual fleet join this chain as they land.
/// </summary>
public static class DemoVerb
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var autoApprove = new Option<bool>("--auto-approve") { Description = "approve the candidate unattended (accepted now; approval arrives with the web UI)" };
        var command = new Command("demo", "Build the tiny example image and validate it in QEMU across its hardware matrix.") { data, autoApprove };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new BuildOptions { DataDirectory = DataDirectory.Resolve(parse.GetValue(data)) };
            Console.WriteLine("ImagePipeline demo: build → validate. Approval and the wave rollout are not built yet.");
            Console.WriteLine();
            var (code, build) = await BuildVerb.RunAsync(RepositoryPaths.Example("tiny"), options, json: false, cancellationToken);
            if (code != ExitCodes.Success)
                return code;

            Console.WriteLine();
            code = await ValidateVerb.RunAsync(build!.Directory, [], json: false, options.DataDirectory, cancellationToken);
            Console.WriteLine();
            Console.WriteLine(code == ExitCodes.Success
                ? $"demo done: image {build.Manifest.ImageId} is a validated candidate."
                : "demo failed: see the validation report above.");
            return code;
        });
        return command;
    }
}
