using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Tests.Deploy;

namespace ImagePipeline.Validation.Tests.Lab;

/// <summary>
/// <c>imagepipe lab up/status/console/down</c> as an operator runs them: the real CLI, a
/// controller in the background, and after <c>lab down</c> nothing left — no namespace, no host
/// link or tap, no QEMU process, no file — even when the controller was killed outright.
/// </summary>
[Collection(LabTestGroup.Name)]
public sealed class LabVerbTests(DeployEnvironmentFixture deploy) : IDisposable
{
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("imagepipe-lab-cli-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string LabDirectory => Path.Combine(data.FullName, "lab");

    private async Task<BufferedCommandResult> ImagepipeAsync(params string[] arguments) =>
        await CliWrap.Cli.Wrap("dotnet").WithArguments([Path.Combine(AppContext.BaseDirectory, "imagepipe.dll"), .. arguments, "--data", data.FullName])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(Ct);

    private void GiveTheDataDirectoryTheDeployEnvironment()
    {
        var target = Path.Combine(data.FullName, "bootsvc", "files", "deploy");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(deploy.Directory))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
    }

    [Fact]
    public async Task Lab_up_starts_machines_that_status_lists_and_lab_down_leaves_nothing_behind()
    {
        GiveTheDataDirectoryTheDeployEnvironment();

        var up = await ImagepipeAsync("lab", "up", "--machines", "2", "--profiles", "bios-virtio,uefi-virtio");
        var state = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(LabDirectory, "lab.json"), Ct))!;
        var again = await ImagepipeAsync("lab", "up", "--machines", "2");
        var status = await ImagepipeAsync("lab", "status");
        var console = await ImagepipeAsync("lab", "console", "lab-9");
        var down = await ImagepipeAsync("lab", "down");

        up.ExitCode.ShouldBe(0, up.StandardError + up.StandardOutput);
        again.ExitCode.ShouldBe(2);
        again.StandardError.ShouldContain("a lab is already up");
        status.ExitCode.ShouldBe(0, status.StandardError);
        status.StandardOutput.ShouldContain("lab-1    bios-virtio        52:54:00:1a:b0:01  Off");
        status.StandardOutput.ShouldContain("lab-2    uefi-virtio        52:54:00:1a:b0:02  Off");
        console.ExitCode.ShouldBe(2);
        console.StandardError.ShouldContain("the lab has lab-1, lab-2");
        down.ExitCode.ShouldBe(0, down.StandardError);
        down.StandardOutput.ShouldContain("no namespace, tap, QEMU process or lab file is left");
        NothingIsLeft(state);
    }

    [Fact]
    public async Task Lab_down_removes_what_a_killed_controller_left()
    {
        GiveTheDataDirectoryTheDeployEnvironment();
        var up = await ImagepipeAsync("lab", "up", "--machines", "1", "--profiles", "bios-virtio");
        up.ExitCode.ShouldBe(0, up.StandardError + up.StandardOutput);
        var state = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(LabDirectory, "lab.json"), Ct))!;
        var pid = state["controllerPid"]!.GetValue<int>();
        var redfish = new Uri(state["redfishUrl"]!.GetValue<string>());
        using (var http = new HttpClient())
        {
            // A powered-on machine, so there is a QEMU process to leave behind.
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(redfish, "/redfish/v1/Systems/lab-1/Actions/ComputerSystem.Reset"))
            {
                Content = new StringContent("""{"ResetType":"On"}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{state["redfishUser"]}:{state["redfishPassword"]}")));
            (await http.SendAsync(request, Ct)).StatusCode.ShouldBe(System.Net.HttpStatusCode.NoContent);
        }

        QemuProcesses.Of(pid).ShouldNotBeEmpty();
        using (var controller = Process.GetProcessById(pid))
        {
            controller.Kill();
            await controller.WaitForExitAsync(Ct);
        }

        var status = await ImagepipeAsync("lab", "status");
        var down = await ImagepipeAsync("lab", "down");

        status.ExitCode.ShouldBe(1);
        status.StandardError.ShouldContain("is gone; run ./imagepipe lab down");
        down.ExitCode.ShouldBe(0, down.StandardError);
        down.StandardOutput.ShouldContain("what a dead controller left");
        NothingIsLeft(state);
    }

    private void NothingIsLeft(System.Text.Json.Nodes.JsonNode state)
    {
        var namespaceName = state["namespace"]!.GetValue<string>();
        var hostDevice = state["hostDevice"]!.GetValue<string>();
        var controller = state["controllerPid"]!.GetValue<int>();
        File.Exists($"/run/netns/{namespaceName}").ShouldBeFalse("the lab's namespace (bridge, taps) is gone");
        Directory.Exists($"/sys/class/net/{hostDevice}").ShouldBeFalse("the host link is gone");
        Directory.Exists(LabDirectory).ShouldBeFalse("the lab's files are gone");
        Directory.EnumerateDirectories(Path.GetTempPath(), $"imagepipe-vm-{controller}-*").ShouldBeEmpty("no VM directory of the controller is left");
        QemuProcesses.Of(controller).ShouldBeEmpty();
        ProcessesNaming(data.FullName).ShouldBeEmpty("no boot service or controller of this lab runs");
    }

    private static List<string> ProcessesNaming(string text) =>
        [.. Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "cmdline")).Where(f =>
        {
            try
            {
                return File.ReadAllText(f).Contains(text, StringComparison.Ordinal);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        })];

    public void Dispose()
    {
        data.Refresh();
        if (data.Exists)
            data.Delete(recursive: true);
    }
}
