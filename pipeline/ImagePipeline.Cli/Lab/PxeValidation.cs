using System.Net;
using System.Text.Json;
using ImagePipeline.Builder;
using ImagePipeline.Cli.Fleet;
using ImagePipeline.Cli.Verbs;
using ImagePipeline.Redfish;
using ImagePipeline.Validation.Lab;
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
        var deploy = await LabVerb.EnsureDeployEnvironmentAsync(dataDirectory, cancellationToken)
            ?? throw new InvalidOperationException("the deploy environment could not be built; run ./imagepipe build-deploy-env to see why");
        var scratch = Directory.CreateTempSubdirectory("imagepipe-validate-pxe-");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var options = new LabOptions
            {
                Machines = profiles.Count,
                Profiles = profiles,
                Directory = scratch.FullName,
                ArtifactsDirectory = new Builder.Artifacts.ArtifactPublisher(dataDirectory, null).StoreRoot,
                DeployEnvironment = deploy,
                Cli = CliLauncher.ForAssembly(typeof(PxeValidation).Assembly.Location),
                AdminToken = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
                Label = "pxe",
                Accelerator = Validation.Qemu.Accelerator.KnownOrTcg(),
            };
            IReadOnlyList<DeployOutcome> outcomes;
            await using (var lab = await LabController.StartAsync(options, 0, cancellationToken))
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
                var redfish = new RedfishClient(http, lab.RedfishUrl, new NetworkCredential(lab.Credentials.UserName, lab.Credentials.Password));
                var deployment = new FleetDeployment(new BootServiceApi(http, lab.Fleet.BootServiceUrl, options.AdminToken), redfish, TimeProvider.System);
                outcomes = await deployment.DeployAsync(manifest.ImageId, manifest.Disk.Size,
                    [.. lab.Fleet.Machines.Select(m => new DeployTarget(m.Profile, m.Mac, $"/redfish/v1/Systems/{m.Id}"))], timeout, progress, cancellationToken);
            }

            var evidence = Path.Combine(imageDirectory, Validation.Running.ValidationRunner.ReportDirectory);
            Directory.CreateDirectory(evidence);
            var consoles = Path.Combine(scratch.FullName, "consoles");
            for (var i = 0; i < profiles.Count; i++)
            {
                var log = Path.Combine(consoles, $"lab-{i + 1}.log");
                if (File.Exists(log))
                    File.Copy(log, Path.Combine(evidence, $"pxe-{profiles[i].Name}.log"), overwrite: true);
            }

            var report = new PxeReport(manifest.ImageId, outcomes.All(o => o.Healthy), watch.Elapsed.TotalSeconds, outcomes);
            await File.WriteAllTextAsync(Path.Combine(evidence, ReportFile), JsonSerializer.Serialize(report, ManifestJson.Options) + "\n", cancellationToken);
            return report;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }
}
