using System.Net;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Cli.Lab;
using ImagePipeline.Redfish;
using ImagePipeline.Tests.Deploy;
using ImagePipeline.Validation.Lab;
using ImagePipeline.Validation.Lab.Deployment;

namespace ImagePipeline.Validation.Tests.Support;

/// <summary>
/// A lab held by the test process, as <c>imagepipe lab serve</c> holds one: the fleet with its real
/// boot service, and the Redfish façade on loopback, with the project's Redfish client and the
/// boot service's API client pointed at them.
/// </summary>
internal sealed class TestLab : IAsyncDisposable
{
    public const string AdminToken = "lab-test-admin";

    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly DirectoryInfo directory;

    private TestLab(RunningLab lab, DirectoryInfo directory)
    {
        Running = lab;
        this.directory = directory;
        Redfish = new RedfishClient(http, lab.RedfishUrl, new NetworkCredential(lab.Credentials.UserName, lab.Credentials.Password));
        BootService = new BootServiceClient(http, lab.Fleet.BootServiceUrl, AdminToken);
    }

    public RunningLab Running { get; }
    public LabFleet Fleet => Running.Fleet;
    public RedfishClient Redfish { get; }
    public BootServiceClient BootService { get; }

    public static Task<TestLab> StartAsync(DeployEnvironmentFixture deploy, string label, params string[] profiles) =>
        StartAsync(deploy.Directory, Path.Combine(deploy.DataDirectory, "artifacts", "sha256"), label, profiles);

    /// <summary>A lab whose boot service serves <paramref name="deployEnvironment"/> and the images of <paramref name="artifacts"/>.</summary>
    public static async Task<TestLab> StartAsync(string deployEnvironment, string artifacts, string label, params string[] profiles)
    {
        var directory = Directory.CreateTempSubdirectory($"imagepipe-lab-test-{label}-");
        var options = new LabOptions
        {
            Machines = profiles.Length,
            Profiles = [.. profiles.Select(Validation.Profiles.HardwareProfiles.Get)],
            Directory = directory.FullName,
            ArtifactsDirectory = artifacts,
            DeployEnvironment = deployEnvironment,
            Cli = CliLauncher.ForAssembly(Path.Combine(AppContext.BaseDirectory, "imagepipe.dll")),
            AdminToken = AdminToken,
            Label = label,
        };
        try
        {
            return new TestLab(await LabController.StartAsync(options, 0, TestContext.Current.CancellationToken), directory);
        }
        catch
        {
            directory.Delete(recursive: true);
            throw;
        }
    }

    public static string SystemPath(string id) => $"/redfish/v1/Systems/{id}";

    /// <summary>Deploys the image to the named machines through Redfish and the boot service, as <c>imagepipe lab deploy</c> does.</summary>
    public Task<IReadOnlyList<DeployOutcome>> DeployAsync(string imageId, TimeSpan timeout, params string[] ids) => DeployAsync(imageId, timeout, null, ids);

    /// <param name="health">for an image without our agent: the probes its boot service makes from outside</param>
    public Task<IReadOnlyList<DeployOutcome>> DeployAsync(string imageId, TimeSpan timeout, IReadOnlyList<BootService.Contract.HealthProbe>? health, params string[] ids) =>
        new FleetDeployment(BootService, Redfish, TimeProvider.System).DeployAsync(imageId, 512L << 20,
            [.. ids.Select(id => new DeployTarget(id, Fleet[id].Mac, SystemPath(id)))], timeout, line => TestContext.Current.SendDiagnosticMessage(line),
            TestContext.Current.CancellationToken, health);

    public async ValueTask DisposeAsync()
    {
        await Running.DisposeAsync();
        http.Dispose();
        directory.Delete(recursive: true);
    }
}
