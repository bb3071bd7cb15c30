using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.ArtifactStore;
using ImagePipeline.BootService.Contract;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Artifacts;
using ImagePipeline.Builder.DeployEnvironment;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Cli.Lab;
using ImagePipeline.Cli.Output;
using ImagePipeline.Redfish;
using ImagePipeline.Server.Fleet;
using ImagePipeline.Validation.Lab;
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

            await CleanUpAsync(labDirectory, quiet: true);
            var deploy = await LabSetup.EnsureDeployEnvironmentAsync(dataDirectory, cancellationToken);
            if (deploy is null)
                return ExitCodes.Failed;
            Directory.CreateDirectory(labDirectory);
            var log = Path.Combine(labDirectory, "controller.log");
            var launcher = CliLauncher.ForAssembly(typeof(LabVerb).Assembly.Location);
            string[] serve = [.. launcher.Arguments, "lab", "serve", "--machines", count.ToString(CultureInfo.InvariantCulture),
                "--profiles", string.Join(",", profileList), "--data", dataDirectory];
            // setsid -f: the controller leaves this terminal's session, so it outlives `lab up`.
            var started = await CliWrap.Cli.Wrap("setsid").WithArguments(["-f", "sh", "-c", "exec \"$0\" \"$@\" >>\"$IMAGEPIPE_LAB_LOG\" 2>&1 </dev/null", launcher.Program, .. serve])
                .WithEnvironmentVariables(e => e.Set("IMAGEPIPE_LAB_LOG", log).Set("IMAGEPIPE_ADMIN_TOKEN", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))))
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
            if (started.ExitCode != 0)
            {
                Console.Error.WriteLine($"lab up: could not start the lab controller: {started.StandardError.Trim()}");
                return ExitCodes.Failed;
            }

            Console.WriteLine($"lab up: starting {count} machines ({string.Join(", ", Enumerable.Range(0, count).Select(i => profileList[i % profileList.Count]))}); controller log {log}");
            var deadline = DateTimeOffset.UtcNow.AddMinutes(3);
            while (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(250, cancellationToken);
                var text = File.Exists(log) ? await File.ReadAllTextAsync(log, cancellationToken) : "";
                if (LabState.Load(labDirectory) is { ControllerAlive: true } state && text.Contains(LabController.ReadyLine, StringComparison.Ordinal))
                {
                    await PrintStatusAsync(state, cancellationToken);
                    Console.WriteLine();
                    Console.WriteLine($"Redfish BMCs: {state.RedfishUrl}redfish/v1 (user {state.RedfishUser}, password in {LabState.PathIn(labDirectory)})");
                    Console.WriteLine($"boot service: {state.BootServiceUrl}api/v1/machines");
                    Console.WriteLine("next: ./imagepipe lab deploy IMAGE   (./imagepipe lab console ID, ./imagepipe lab down)");
                    return ExitCodes.Success;
                }

                if (text.Contains("lab: could not start", StringComparison.Ordinal) || text.Contains("Unhandled exception", StringComparison.Ordinal))
                {
                    Console.Error.WriteLine($"lab up: the lab did not come up:\n{string.Join('\n', text.Split('\n').TakeLast(20))}");
                    await CleanUpAsync(labDirectory, quiet: true);
                    return ExitCodes.Failed;
                }
            }

            Console.Error.WriteLine($"lab up: the lab was not ready after 3 minutes; see {log}");
            return ExitCodes.Failed;
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
                Console.WriteLine(JsonSerializer.Serialize(await RowsAsync(state, cancellationToken), ManifestJson.Options));
                return ExitCodes.Success;
            }

            await PrintStatusAsync(state, cancellationToken);
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
            if (FindImage(dataDirectory, parse.GetValue(image)!, "lab deploy") is not { } manifest)
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
            var outcomes = await DeployAsync(state, manifest, machines, TimeSpan.FromSeconds(parse.GetValue(timeout)),
                line => Console.WriteLine($"  {DateTimeOffset.Now:HH:mm:ss} {line}"), cancellationToken);
            PrintOutcomes(outcomes);
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
            var labDirectory = LabSetup.LabDirectory(DataDirectory.Resolve(parse.GetValue(data)));
            return await CleanUpAsync(labDirectory, quiet: false) ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>
    /// Stops the controller (SIGTERM: it takes its VMs, boot service and namespace down), kills it
    /// if it does not end within a minute, then removes whatever a dead controller left: its
    /// namespace (which takes the taps and the host link with it), QEMU processes and VM
    /// directories, and the lab directory. True when nothing is left.
    /// </summary>
    public static async Task<bool> CleanUpAsync(string labDirectory, bool quiet)
    {
        var state = LabState.Load(labDirectory);
        if (state is null && !Directory.Exists(labDirectory))
        {
            if (!quiet)
                Console.WriteLine("lab down: no lab is up");
            return true;
        }

        if (state is { ControllerAlive: true })
        {
            if (!quiet)
                Console.WriteLine($"lab down: stopping the controller (pid {state.ControllerPid}) and its {state.Machines.Count} machines");
            await CliWrap.Cli.Wrap("kill").WithArguments(["-TERM", state.ControllerPid.ToString(CultureInfo.InvariantCulture)]).WithValidation(CommandResultValidation.None).ExecuteAsync();
            var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
            while (state.ControllerAlive && DateTimeOffset.UtcNow < deadline)
                await Task.Delay(200);
            if (state.ControllerAlive)
                await CliWrap.Cli.Wrap("kill").WithArguments(["-KILL", state.ControllerPid.ToString(CultureInfo.InvariantCulture)]).WithValidation(CommandResultValidation.None).ExecuteAsync();
            while (state.ControllerAlive)
                await Task.Delay(100);
        }

        var leftovers = new List<string>();
        if (state is not null)
        {
            if (File.Exists($"/run/netns/{state.Namespace}"))
            {
                leftovers.Add($"namespace {state.Namespace}");
                await Validation.Networks.VirtualNetwork.DeleteAsync(state.Namespace);
            }

            if (Directory.Exists($"/sys/class/net/{state.HostDevice}"))
            {
                leftovers.Add($"host link {state.HostDevice}");
                await CliWrap.Cli.Wrap("ip").WithArguments(["link", "delete", state.HostDevice]).WithValidation(CommandResultValidation.None).ExecuteAsync();
            }
        }

        // QEMU processes and VM directories of a controller that died are found by its pid.
        Validation.Qemu.Orphans.Reap();
        if (Directory.Exists(labDirectory))
            Directory.Delete(labDirectory, recursive: true);
        if (!quiet)
        {
            Console.WriteLine(leftovers.Count == 0
                ? "lab down: removed; no namespace, tap, QEMU process or lab file is left"
                : $"lab down: removed, including what a dead controller left: {string.Join(", ", leftovers)}");
        }

        return true;
    }

    public static async Task<IReadOnlyList<DeployOutcome>> DeployAsync(LabState state, ImageManifest manifest, IReadOnlyList<LabMachineState> machines, TimeSpan timeout,
        Action<string>? progress, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var deployment = new FleetDeployment(new BootServiceClient(http, new Uri(state.BootServiceUrl), state.AdminToken), Redfish(http, state), TimeProvider.System);
        var size = manifest.Disk.Size;
        return await deployment.DeployAsync(manifest.ImageId, size,
            [.. machines.Select(m => new DeployTarget(m.Id, m.Mac, $"/redfish/v1/Systems/{m.Id}"))], timeout, progress, cancellationToken);
    }

    public static void PrintOutcomes(IReadOnlyList<DeployOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            Console.WriteLine($"  {(outcome.Healthy ? "✓" : "✗")} {outcome.Name,-8} {(outcome.Healthy ? "healthy" : outcome.Error)} after {outcome.Seconds:0.0} s");
            foreach (var phase in outcome.Phases)
                Console.WriteLine($"      {phase.Phase,-24} {phase.Seconds,6:0.0} s  {phase.Detail}");
        }

        Console.WriteLine($"{outcomes.Count(o => o.Healthy)} of {outcomes.Count} healthy");
    }

    private static RedfishClient Redfish(HttpClient http, LabState state) =>
        new(http, new Uri(state.RedfishUrl), new NetworkCredential(state.RedfishUser, state.RedfishPassword));

    private static async Task<IReadOnlyList<LabStatusRow>> RowsAsync(LabState state, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var redfish = Redfish(http, state);
        IReadOnlyList<MachineRecord> known;
        try
        {
            known = await new BootServiceClient(http, new Uri(state.BootServiceUrl), state.AdminToken).ListAsync(cancellationToken);
        }
        catch (HttpRequestException)
        {
            known = [];
        }

        var rows = new List<LabStatusRow>();
        foreach (var machine in state.Machines)
        {
            var system = await redfish.GetSystemAsync($"/redfish/v1/Systems/{machine.Id}", cancellationToken);
            var inventory = known.FirstOrDefault(k => k.Mac == machine.Mac);
            rows.Add(new LabStatusRow(machine.Id, machine.Profile, machine.Mac, system.PowerState ?? "?",
                system.BootSourceOverrideEnabled is "Once" or "Continuous" ? $"{system.BootSourceOverrideTarget} ({system.BootSourceOverrideEnabled})" : "-",
                inventory?.State.ToString().ToLowerInvariant() ?? "unknown", inventory?.CurrentImage, inventory?.Address, inventory?.LastError));
        }

        return rows;
    }

    private static async Task PrintStatusAsync(LabState state, CancellationToken cancellationToken)
    {
        Console.WriteLine($"{"ID",-8} {"PROFILE",-18} {"MAC",-18} {"POWER",-6} {"BOOT OVERRIDE",-14} {"STATE",-10} {"IMAGE",-13} ADDRESS");
        foreach (var row in await RowsAsync(state, cancellationToken))
        {
            Console.WriteLine($"{row.Id,-8} {row.Profile,-18} {row.Mac,-18} {row.Power,-6} {row.BootOverride,-14} {row.State,-10} {(row.CurrentImage is { } image ? image[..12] : "-"),-13} {row.Address ?? "-"}"
                + (row.LastError is null ? "" : $"  ({row.LastError})"));
        }
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

    public static ImageManifest? FindImage(string dataDirectory, string idOrPrefix, string verb)
    {
        var directory = new ArtifactPublisher(dataDirectory, null).Find(idOrPrefix);
        var path = directory is null ? null : Path.Combine(directory, ArtifactStoreLayout.Manifest);
        if (path is null || !File.Exists(path))
        {
            Console.Error.WriteLine($"{verb}: '{idOrPrefix}' is not an image id in {dataDirectory}/artifacts/sha256; build one with ./imagepipe build RECIPE");
            return null;
        }

        return JsonSerializer.Deserialize<ImageManifest>(File.ReadAllText(path), ManifestJson.Options);
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
