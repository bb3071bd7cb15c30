using System.CommandLine;
using System.Text.Json;
using ImagePipeline.Builder;
using ImagePipeline.Cli.Lab;
using ImagePipeline.Cli.Output;
using ImagePipeline.Validation.Lab;
using ImagePipeline.Validation.Lab.Deployment;
using Command = System.CommandLine.Command;

namespace ImagePipeline.Cli.Verbs;

/// <summary>
/// <c>imagepipe lab up|status|deploy|console|down</c>: a virtual fleet on a private network that
/// netboots from a real boot service, each VM behind a Redfish BMC. <c>up</c> starts the lab's
/// controller in the background (<c>lab serve</c>) and returns once every part answers.
/// </summary>
public static class LabVerb
{
    public static Command Create()
    {
        var command = new Command("lab", "A virtual fleet that PXE-deploys through the boot service: up, status, deploy, console, down.");
        command.Subcommands.Add(Up());
        command.Subcommands.Add(Serve());
        command.Subcommands.Add(Status());
        command.Subcommands.Add(Deploy());
        command.Subcommands.Add(ConsoleVerb());
        command.Subcommands.Add(Down());
        return command;
    }

    private static Option<string?> DataOption() => new("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA); the lab lives in DATA/lab" };

    private static (Option<int> Machines, Option<string?> Profiles) FleetOptions() => (
        new Option<int>("--machines") { Description = "how many VMs", DefaultValueFactory = _ => 4 },
        new Option<string?>("--profiles") { Description = $"hardware profiles used in turn, comma-separated (default {string.Join(",", LabOptions.DefaultProfiles)})" });

    private static Command Up()
    {
        var (machines, profiles) = FleetOptions();
        var data = DataOption();
        var command = new Command("up", "Create the lab: a private network, the boot service in full-DHCP mode on it, N VMs with blank disks set to boot from the network (powered off), each behind a Redfish BMC.")
        {
            machines, profiles, data,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dataDirectory = DataDirectory.Resolve(parse.GetValue(data));
            var labDirectory = LabSetup.LabDirectory(dataDirectory);
            if (LabState.Load(labDirectory) is { ControllerAlive: true } running)
            {
                Console.Error.WriteLine($"lab up: a lab is already up (controller pid {running.ControllerPid}, {running.Machines.Count} machines); run ./imagepipe lab down first");
                return ExitCodes.InvalidInput;
            }

            if (ParseProfiles(parse.GetValue(profiles)) is not { } profileList)
                return ExitCodes.InvalidInput;
            var count = parse.GetValue(machines);
            if (count is < 1 or > 250)
            {
                Console.Error.WriteLine($"lab up: --machines {count}: a lab has 1 to 250 machines");
                return ExitCodes.InvalidInput;
            }

            await LabTeardown.CleanUpAsync(labDirectory, say: null);
            if (await LabSetup.EnsureDeployEnvironmentAsync(dataDirectory, cancellationToken) is null)
                return ExitCodes.Failed;
            Console.WriteLine($"lab up: starting {count} machines ({string.Join(", ", Enumerable.Range(0, count).Select(i => profileList[i % profileList.Count]))}); "
                + $"controller log {LabLauncher.LogPath(labDirectory)}");
            LabState state;
            try
            {
                state = await LabLauncher.StartAsync(dataDirectory, count, profileList, cancellationToken);
            }
            catch (LabNotStartedException e)
            {
                Console.Error.WriteLine($"lab up: {e.Message}");
                await LabTeardown.CleanUpAsync(labDirectory, say: null);
                return ExitCodes.Failed;
            }

            await LabStatus.PrintAsync(state, cancellationToken);
            Console.WriteLine();
            Console.WriteLine($"Redfish BMCs: {state.RedfishUrl}redfish/v1 (user {state.RedfishUser}, password in {LabState.PathIn(labDirectory)})");
            Console.WriteLine($"boot service: {state.BootServiceUrl}api/v1/machines");
            Console.WriteLine("next: ./imagepipe lab deploy IMAGE   (./imagepipe lab console ID, ./imagepipe lab down)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Serve()
    {
        var (machines, profiles) = FleetOptions();
        var data = DataOption();
        var redfishPort = new Option<int>("--redfish-port") { Description = "loopback port of the Redfish façade (default: a free one)" };
        var command = new Command("serve", "Hold a lab in the foreground until Ctrl-C or SIGTERM (what `lab up` runs in the background).")
        {
            machines, profiles, data, redfishPort,
        };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dataDirectory = DataDirectory.Resolve(parse.GetValue(data));
            if (ParseProfiles(parse.GetValue(profiles)) is not { } profileList)
                return ExitCodes.InvalidInput;
            var options = LabSetup.Options(dataDirectory, [.. profileList.Select(Validation.Profiles.HardwareProfiles.Get)], LabSetup.LabDirectory(dataDirectory),
                LabSetup.DeployEnvironmentDirectory(dataDirectory), "lab", Environment.GetEnvironmentVariable("IMAGEPIPE_ADMIN_TOKEN")) with
            {
                Machines = parse.GetValue(machines),
            };
            return await LabController.ServeAsync(options, parse.GetValue(redfishPort), cancellationToken);
        });
        return command;
    }

    private static Command Status()
    {
        var data = DataOption();
        var json = new Option<bool>("--json") { Description = "print machines as JSON" };
        var command = new Command("status", "List the lab's machines: profile, MAC, power, state in the boot service, current image, address.") { data, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (RunningState(DataDirectory.Resolve(parse.GetValue(data)), "status") is not { } state)
                return ExitCodes.Failed;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(await LabStatus.RowsAsync(state, cancellationToken), ManifestJson.Options));
                return ExitCodes.Success;
            }

            await LabStatus.PrintAsync(state, cancellationToken);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Deploy()
    {
        var image = new Argument<string>("image") { Description = "an image id (or unique prefix) in the artifact store" };
        var only = new Option<string[]>("--machine") { Description = "deploy only these lab machines (default: all)" };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait for every machine to report healthy", DefaultValueFactory = _ => 600 };
        var data = DataOption();
        var command = new Command("deploy", "Deploy an image to lab machines as production does: desired image in the boot service, Redfish one-time PXE boot and power cycle, wait for the agent's health report.")
        {
            image, only, timeout, data,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dataDirectory = DataDirectory.Resolve(parse.GetValue(data));
            if (RunningState(dataDirectory, "deploy") is not { } state)
                return ExitCodes.Failed;
            if (StoredImages.Find(dataDirectory, parse.GetValue(image)!, "lab deploy") is not { } manifest)
                return ExitCodes.InvalidInput;
            var wanted = parse.GetValue(only) ?? [];
            var unknown = wanted.Where(w => state.Machines.All(m => m.Id != w)).ToList();
            if (unknown.Count > 0)
            {
                Console.Error.WriteLine($"lab deploy: no lab machine {string.Join(", ", unknown)}; the lab has {string.Join(", ", state.Machines.Select(m => m.Id))}");
                return ExitCodes.InvalidInput;
            }

            var machines = state.Machines.Where(m => wanted.Length == 0 || wanted.Contains(m.Id)).ToList();
            Console.WriteLine($"deploying {manifest.Name} {manifest.ImageId[..12]} to {string.Join(", ", machines.Select(m => m.Id))}");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var outcomes = await new FleetDeployment(state.BootService(http), state.Redfish(http), TimeProvider.System).DeployAsync(manifest.ImageId, manifest.Disk.Size,
                [.. machines.Select(m => new DeployTarget(m.Id, m.Mac, m.SystemPath))], TimeSpan.FromSeconds(parse.GetValue(timeout)),
                line => Console.WriteLine($"  {DateTimeOffset.Now:HH:mm:ss} {line}"), cancellationToken);
            DeployOutcomeReport.Print(outcomes);
            return outcomes.All(o => o.Healthy) ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }

    private static Command ConsoleVerb()
    {
        var id = new Argument<string>("machine") { Description = "a lab machine id, for example lab-1" };
        var follow = new Option<bool>("--follow", "-f") { Description = "keep printing what the console prints until Ctrl-C" };
        var data = DataOption();
        var command = new Command("console", "Print a lab machine's serial console log (every boot since the lab came up).") { id, follow, data };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var labDirectory = LabSetup.LabDirectory(DataDirectory.Resolve(parse.GetValue(data)));
            var state = LabState.Load(labDirectory);
            var name = parse.GetValue(id)!;
            var machine = state?.Machines.FirstOrDefault(m => m.Id == name);
            var path = machine?.Console ?? Path.Combine(labDirectory, "consoles", $"{name}.log");
            if (!File.Exists(path))
            {
                Console.Error.WriteLine(state is null
                    ? "lab console: no lab is up; start one with ./imagepipe lab up"
                    : $"lab console: no console log for '{name}'; the lab has {string.Join(", ", state.Machines.Select(m => m.Id))}");
                return ExitCodes.InvalidInput;
            }

            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            await using var output = Console.OpenStandardOutput();
            await stream.CopyToAsync(output, cancellationToken);
            while (parse.GetValue(follow) && !cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(200, cancellationToken);
                    await stream.CopyToAsync(output, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Down()
    {
        var data = DataOption();
        var command = new Command("down", "Remove the lab: its VMs, boot service, network namespace, taps and files.") { data };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await LabTeardown.CleanUpAsync(LabSetup.LabDirectory(DataDirectory.Resolve(parse.GetValue(data))), Console.WriteLine);
            return ExitCodes.Success;
        });
        return command;
    }

    private static LabState? RunningState(string dataDirectory, string verb)
    {
        var state = LabState.Load(LabSetup.LabDirectory(dataDirectory));
        if (state is { ControllerAlive: true })
            return state;
        Console.Error.WriteLine(state is null
            ? $"lab {verb}: no lab is up; start one with ./imagepipe lab up --machines 4"
            : $"lab {verb}: the lab's controller (pid {state.ControllerPid}) is gone; run ./imagepipe lab down to clean up, then lab up");
        return null;
    }

    private static List<string>? ParseProfiles(string? text)
    {
        var list = text is null ? [.. LabOptions.DefaultProfiles] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var unknown = list.Where(p => !Validation.Profiles.HardwareProfiles.Catalogue.ContainsKey(p)).ToList();
        if (list.Count > 0 && unknown.Count == 0)
            return list;
        Console.Error.WriteLine($"lab: unknown hardware profile {string.Join(", ", unknown)}; the catalogue has {string.Join(", ", Validation.Profiles.HardwareProfiles.Catalogue.Keys)}");
        return null;
    }
}
