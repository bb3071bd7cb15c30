using System.Text.Json;
using ImagePipeline.Builder;
using ImagePipeline.Validation.Machines;

namespace ImagePipeline.Cli.Lab;

/// <summary>
/// <c>imagepipe validate IMAGE --pxe</c>: the production path, rehearsed per hardware profile. A
/// private lab of one blank VM per profile netboots from a real boot service; the agent deploys
/// the candidate; the VM reboots from its own disk; the image's report agent posts healthy. The
/// report (validation/pxe-report.json beside the image, with each VM's console) records the
/// phases: DHCP to script, deploy environment up, bytes written and rate, reboot, healthy.
/// </summary>
public static class PxeValidation
{
    public const string ReportFile = "pxe-report.json";

    public static async Task<PxeReport> RunAsync(string dataDirectory, ImageManifest manifest, string imageDirectory, IReadOnlyList<QemuMachine> profiles,
        TimeSpan timeout, Action<string>? progress, CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var evidence = Path.Combine(imageDirectory, Validation.Running.ValidationRunner.ReportDirectory);
        Directory.CreateDirectory(evidence);
        var outcomes = await FreshLab.DeployAsync(dataDirectory, manifest, profiles, "validate-pxe", timeout, progress,
            (profile, console) => File.Copy(console, Path.Combine(evidence, $"pxe-{profile}.log"), overwrite: true), cancellationToken);
        var report = new PxeReport(manifest.ImageId, outcomes.All(o => o.Healthy), watch.Elapsed.TotalSeconds, outcomes);
        await File.WriteAllTextAsync(Path.Combine(evidence, ReportFile), JsonSerializer.Serialize(report, ManifestJson.Options) + "\n", cancellationToken);
        return report;
    }
}
