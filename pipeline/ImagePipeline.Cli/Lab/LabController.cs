using System.Net;
using System.Security.Cryptography;
using ImagePipeline.Validation.Lab;
using ImagePipeline.Validation.Lab.Redfish;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Cli.Lab;

/// <summary>
/// The process that holds a lab while it is up (<c>imagepipe lab serve</c>, started in the
/// background by <c>lab up</c>): the fleet, and the Redfish façade of its BMCs on loopback. It
/// writes lab.json once everything answers, and takes everything down on SIGTERM or Ctrl-C.
/// </summary>
public static class LabController
{
    private const string ReadyLine = "lab ready";

    /// <summary>A lab in this process, with its BMCs' Redfish service on 127.0.0.1 (a free port when <paramref name="redfishPort"/> is 0).</summary>
    public static async Task<RunningLab> StartAsync(LabOptions options, int redfishPort, CancellationToken cancellationToken)
    {
        var fleet = await LabFleet.StartAsync(options, cancellationToken);
        try
        {
            var credentials = new RedfishCredentials("admin", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)));
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, redfishPort));
            var app = builder.Build();
            app.MapRedfish(fleet.Machines, credentials);
            await app.StartAsync(cancellationToken);
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new RunningLab(fleet, app, new Uri(url), credentials);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    public static async Task<int> ServeAsync(LabOptions options, int redfishPort, CancellationToken cancellationToken)
    {
        RunningLab lab;
        try
        {
            lab = await StartAsync(options, redfishPort, cancellationToken);
        }
        catch (Exception e) when (e is Validation.Harness.HarnessException or Validation.Harness.CheckFailedException or FileNotFoundException or ArgumentException or IOException)
        {
            Console.Error.WriteLine($"lab: could not start: {e.Message}");
            return ExitCodes.Failed;
        }

        await using (lab)
        {
            new LabState
            {
                ControllerPid = Environment.ProcessId,
                Namespace = lab.Fleet.Network.Namespace,
                HostDevice = lab.Fleet.HostLink!.HostDevice,
                RedfishUrl = lab.RedfishUrl.ToString(),
                RedfishUser = lab.Credentials.UserName,
                RedfishPassword = lab.Credentials.Password,
                BootServiceUrl = lab.Fleet.BootServiceUrl.ToString(),
                AdminToken = options.AdminToken,
                StartedAt = DateTimeOffset.UtcNow,
                Machines = [.. lab.Fleet.Machines.Select(m => new LabMachineState(m.Id, m.Profile, m.Mac, m.Hardware.Firmware.ToString().ToLowerInvariant(),
                    m.Hardware.Nic.ToString().ToLowerInvariant(), m.Hardware.DiskBus.ToString().ToLowerInvariant(), m.Hardware.MemoryMiB, m.ConsoleLogPath))],
            }.Save(options.Directory);
            Console.WriteLine($"{ReadyLine}: {lab.Fleet.Machines.Count} machines, Redfish {lab.RedfishUrl}, boot service {lab.Fleet.BootServiceUrl}");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("lab: stopping: machines, boot service, network");
            }
        }

        Console.WriteLine("lab: stopped");
        return ExitCodes.Success;
    }
}
