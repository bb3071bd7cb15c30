using ImagePipeline.Tests.Deploy;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Lab;
using ImagePipeline.Validation.Networks;

namespace ImagePipeline.BootService.Tests.Support;

/// <summary>The real <c>imagepipe bootsvc</c> CLI running inside a virtual network's namespace, serving the deploy environment.</summary>
internal sealed class BootServiceProcess : IAsyncDisposable
{
    private readonly BootServiceInstance instance;

    private BootServiceProcess(VirtualNetwork network, string data, BootServiceInstance instance)
    {
        Network = network;
        DataDirectory = data;
        this.instance = instance;
    }

    public VirtualNetwork Network { get; }
    public string DataDirectory { get; }

    public string Output => instance.Output;

    /// <summary>The most memory the process has held so far (on Linux the framework reads it from VmHWM, the peak resident set).</summary>
    public long PeakResidentBytes
    {
        get
        {
            using var process = System.Diagnostics.Process.GetProcessById(instance.ProcessId);
            return process.PeakWorkingSet64;
        }
    }

    /// <summary>The operator API's token when a test gives none (<c>--admin-token</c>): without one the API is closed.</summary>
    public const string DefaultAdminToken = "bootsvc-test-admin";

    /// <summary>The token this instance was started with.</summary>
    public string AdminToken { get; private init; } = DefaultAdminToken;

    /// <param name="arguments">extra bootsvc arguments (mode, discovery); "--admin-token T" here is handed to the service in its environment</param>
    public static async Task<BootServiceProcess> StartAsync(VirtualNetwork network, DeployEnvironmentFixture deploy, string? data, params string[] arguments)
    {
        var at = Array.IndexOf(arguments, "--admin-token");
        var token = at >= 0 ? arguments[at + 1] : DefaultAdminToken;
        if (at >= 0)
            arguments = [.. arguments[..at], .. arguments[(at + 2)..]];
        data ??= System.IO.Directory.CreateTempSubdirectory("imagepipe-bootsvc-data-").FullName;
        var files = Path.Combine(data, "bootsvc", "files", "deploy");
        System.IO.Directory.CreateDirectory(files);
        foreach (var file in System.IO.Directory.EnumerateFiles(deploy.Directory))
        {
            // Beside, then renamed over: another test's boot service may be serving the old copy from a
            // shared data directory, and .NET's overwriting copy refuses a file another process has open.
            var copy = Path.Combine(files, $".{Path.GetFileName(file)}.{Guid.NewGuid():n}");
            File.Copy(file, copy);
            File.Move(copy, Path.Combine(files, Path.GetFileName(file)), overwrite: true);
        }
        var instance = await BootServiceInstance.StartAsync(network, CliLauncher.ForAssembly(Path.Combine(AppContext.BaseDirectory, "imagepipe.dll")),
            ["--data", data, .. arguments], token, Path.Combine(data, $"bootsvc-{Guid.NewGuid():n}.log"), TestContext.Current.CancellationToken);
        return new BootServiceProcess(network, data, instance) { AdminToken = token };
    }

    /// <summary>GET a path of the service's HTTP API from inside the namespace, with the admin token.</summary>
    public async Task<string> GetAsync(string path)
    {
        var result = await Network.Command("curl", "-sS", "--max-time", "10", "-H", $"Authorization: Bearer {AdminToken}", $"http://127.0.0.1:8080{path}").ExecuteBufferedAsync();
        return result.ExitCode == 0 ? result.StandardOutput : throw new HarnessException($"curl {path}: {result.StandardError}");
    }

    /// <summary>PUT JSON to the service's API from inside the namespace, with an admin token.</summary>
    public async Task<string> PutAsync(string path, string json, string adminToken)
    {
        var result = await Network.Command("curl", "-sS", "--fail-with-body", "--max-time", "10", "-X", "PUT", "-H", "Content-Type: application/json",
            "-H", $"Authorization: Bearer {adminToken}", "-d", json, $"http://127.0.0.1:8080{path}").ExecuteBufferedAsync();
        return result.ExitCode == 0 ? result.StandardOutput : throw new HarnessException($"curl PUT {path}: {result.StandardError} {result.StandardOutput}");
    }

    /// <summary>POST JSON to the service from inside the namespace with a bearer token (a machine's, to speak as its agent).</summary>
    public async Task<string> PostAsync(string path, string json, string token)
    {
        var result = await Network.Command("curl", "-sS", "--fail-with-body", "--max-time", "10", "-X", "POST", "-H", "Content-Type: application/json",
            "-H", $"Authorization: Bearer {token}", "-d", json, $"http://127.0.0.1:8080{path}").ExecuteBufferedAsync();
        return result.ExitCode == 0 ? result.StandardOutput : throw new HarnessException($"curl POST {path}: {result.StandardError} {result.StandardOutput}");
    }

    public ValueTask DisposeAsync() => instance.DisposeAsync();
}
