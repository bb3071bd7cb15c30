using System.Net;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Builder;
using ImagePipeline.Redfish;
using ImagePipeline.Validation.Lab.Deployment;
using ImagePipeline.Validation.Machines;

namespace ImagePipeline.Cli.Lab;

/// <summary>
/// A private lab made for one deployment and taken down after it: one blank VM per hardware
/// profile netboots from a real boot service, the image is deployed to all of them through their
/// Redfish BMCs, each must report healthy from inside the image. What <c>validate --pxe</c> and
/// the demo's rollout share.
/// </summary>
public static class FreshLab
{
    /// <param name="keepConsole">called with each machine's profile and its console log before the lab is removed</param>
    public static async Task<IReadOnlyList<DeployOutcome>> DeployAsync(string dataDirectory, ImageManifest manifest, IReadOnlyList<QemuMachine> profiles, string label,
        TimeSpan timeout, Action<string>? progress, Action<string, string>? keepConsole, CancellationToken cancellationToken)
    {
        var deploy = await LabSetup.EnsureDeployEnvironmentAsync(dataDirectory, cancellationToken)
            ?? throw new InvalidOperationException("the deploy environment could not be built; run ./imagepipe build-deploy-env to see why");
        var scratch = Directory.CreateTempSubdirectory($"imagepipe-{label}-");
        try
        {
            var options = LabSetup.Options(dataDirectory, profiles, scratch.FullName, deploy, label);
            await using var lab = await LabController.StartAsync(options, 0, cancellationToken);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var redfish = new RedfishClient(http, lab.RedfishUrl, new NetworkCredential(lab.Credentials.UserName, lab.Credentials.Password));
            var deployment = new FleetDeployment(new BootServiceClient(http, lab.Fleet.BootServiceUrl, options.AdminToken), redfish, TimeProvider.System);
            var outcomes = await deployment.DeployAsync(manifest.ImageId, manifest.Disk.Size,
                [.. lab.Fleet.Machines.Select(m => new DeployTarget(m.Profile, m.Mac, $"/redfish/v1/Systems/{m.Id}"))], timeout, progress, cancellationToken);
            foreach (var machine in lab.Fleet.Machines.Where(m => File.Exists(m.ConsoleLogPath)))
                keepConsole?.Invoke(machine.Profile, machine.ConsoleLogPath);
            return outcomes;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }
}
