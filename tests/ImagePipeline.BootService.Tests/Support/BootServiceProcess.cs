using ImagePipeline.Tests.Deploy;
using System.Text;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Networks;

namespace ImagePipeline.BootService.Tests.Support;

/// <summary>The real <c>imagepipe bootsvc</c> CLI running inside a virtual network's namespace, serving the deploy environment.</summary>
internal sealed class BootServiceProcess : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private readonly CancellationTokenSource stop = new();
    private Task<CommandResult>? process;

    private BootServiceProcess(VirtualNetwork network, string data)
    {
        Network = network;
        DataDirectory = data;
    }

    public VirtualNetwork Network { get; }
    public string DataDirectory { get; }

    public string Output
    {
        get
        {
            lock (output)
                return output.ToString();
        }
    }

    /// <param name="arguments">extra bootsvc arguments (mode, discovery)</param>
    public static async Task<BootServiceProcess> StartAsync(VirtualNetwork network, DeployEnvironmentFixture deploy, string? data, params string[] arguments)
    {
        data ??= System.IO.Directory.CreateTempSubdirectory("imagepipe-bootsvc-data-").FullName;
        var files = Path.Combine(data, "bootsvc", "files", "deploy");
        System.IO.Directory.CreateDirectory(files);
        foreach (var file in System.IO.Directory.EnumerateFiles(deploy.Directory))
            File.Copy(file, Path.Combine(files, Path.GetFileName(file)), overwrite: true);
        var service = new BootServiceProcess(network, data);
        await service.RunAsync(arguments);
        return service;
    }

    private async Task RunAsync(string[] arguments)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "imagepipe.dll");
        process = Network.Command("dotnet", [cli, "bootsvc", "--interface", VirtualNetwork.Bridge, "--data", DataDirectory, .. arguments])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(Append))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(Append))
            .ExecuteAsync(stop.Token);
        await Retry.UntilAsync("the boot service to start", _ =>
        {
            if (process.IsCompleted)
                throw new HarnessException($"the boot service exited: {Output}");
            return Task.FromResult(Output.Contains("boot service ready", StringComparison.Ordinal) ? null : "not ready yet");
        }, TimeSpan.FromSeconds(30));
    }

    private void Append(string line)
    {
        lock (output)
            output.AppendLine(line);
    }

    /// <summary>GET a path of the service's HTTP API from inside the namespace.</summary>
    public async Task<string> GetAsync(string path)
    {
        var result = await Network.Command("curl", "-sS", "--max-time", "10", $"http://127.0.0.1:8080{path}").ExecuteBufferedAsync();
        return result.ExitCode == 0 ? result.StandardOutput : throw new HarnessException($"curl {path}: {result.StandardError}");
    }

    /// <summary>PUT JSON to the service's API from inside the namespace, with an admin token.</summary>
    public async Task<string> PutAsync(string path, string json, string adminToken)
    {
        var result = await Network.Command("curl", "-sS", "--fail-with-body", "--max-time", "10", "-X", "PUT", "-H", "Content-Type: application/json",
            "-H", $"Authorization: Bearer {adminToken}", "-d", json, $"http://127.0.0.1:8080{path}").ExecuteBufferedAsync();
        return result.ExitCode == 0 ? result.StandardOutput : throw new HarnessException($"curl PUT {path}: {result.StandardError} {result.StandardOutput}");
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (process is not null)
        {
            try
            {
                await process;
            }
            catch (OperationCanceledException)
            {
            }
        }

        stop.Dispose();
    }
}
