using System.CommandLine;
using System.Net;
using ImagePipeline.ArtifactStore;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Hosting;
using ImagePipeline.BootService.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Cli.Verbs;

/// <summary><c>imagepipe bootsvc --interface IF --mode full|proxy</c>: run the boot service alone, near the machines.</summary>
public static class BootsvcVerb
{
    public static Command Create()
    {
        var iface = new Option<string?>("--interface") { Description = "the boot network's interface (DHCP and TFTP bind to it), for example br0" };
        var mode = new Option<string>("--mode") { Description = "full: own the network's addresses; proxy: proxyDHCP beside an existing DHCP server; http: no DHCP/TFTP", DefaultValueFactory = _ => "full" };
        var address = new Option<string?>("--address") { Description = "this service's address on the boot network (default: the interface's IPv4 address)" };
        var pool = new Option<string?>("--pool") { Description = "full mode: addresses to hand out, FIRST-LAST (default: the upper half of the subnet)" };
        var router = new Option<string?>("--router") { Description = "full mode: default gateway to announce (none by default: an isolated network)" };
        var dns = new Option<string[]>("--dns") { Description = "full mode: DNS servers to announce" };
        var leaseTime = new Option<int>("--lease-time") { Description = "full mode: lease time in seconds", DefaultValueFactory = _ => 3600 };
        var httpPort = new Option<int>("--http-port") { Description = "HTTP port for scripts, boot files, images and the agent API", DefaultValueFactory = _ => 8080 };
        var tftpPort = new Option<int>("--tftp-port") { Description = "TFTP port", DefaultValueFactory = _ => 69 };
        var discovery = new Option<bool>("--discovery") { Description = "record unknown machines and boot them into the deploy environment to register" };
        var adminToken = new SecretOption("admin-token", "the token of the operator API (/api/v1: machines, events, desired images)", "IMAGEPIPE_ADMIN_TOKEN");
        var routerAdvertisements = new Option<bool?>("--router-advertisements")
        {
            Description = "send IPv6 router advertisements (lifetime 0, no prefixes), which end iPXE's ~14 s wait for IPv6 at each netboot: "
                + "on by default in full mode; in proxy mode, true where the network has no IPv6 router of its own",
        };
        var updateCheck = new Option<int>("--update-check-seconds") { Description = "how often the agent of a healthy machine with A/B slots asks whether to update in place", DefaultValueFactory = _ => 30 };
        var eventRetention = new Option<long>("--event-retention") { Description = "how many of the newest machine events the boot database keeps (the event feed's window, GET /api/v1/events)", DefaultValueFactory = _ => BootService.Storage.SqliteMachineInventory.DefaultEventRetention };
        var kernelArgs = new Option<string?>("--kernel-args") { Description = "extra kernel command-line arguments for the deploy environment" };
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var upstream = new Option<string?>("--upstream") { Description = "a site's boot service: the pipeline server (URL) whose artifact store it pulls images and chunks from, once each, into its own (--artifacts, DATA/artifacts/chunks)" };
        var upstreamToken = new SecretOption("upstream-token", "an operator's API token on the --upstream server", "IMAGEPIPE_UPSTREAM_TOKEN");
        var artifacts = new Option<string?>("--artifacts") { Description = "the artifact store images are served from (default DATA/artifacts/sha256); a lab shares the store of the data directory it was made from" };
        var command = new Command("bootsvc", "Run the boot service: DHCP (full or proxy), TFTP, HTTP iPXE scripts and the agent API.")
        {
            iface, mode, address, pool, router, dns, leaseTime, httpPort, tftpPort, discovery, adminToken.File, adminToken.Refused, kernelArgs, data, artifacts,
            upstream, upstreamToken.File, upstreamToken.Refused, updateCheck, eventRetention, routerAdvertisements,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            BootServiceOptions options;
            var (token, tokenProblem) = adminToken.Read(parse);
            var (siteToken, siteTokenProblem) = upstreamToken.Read(parse);
            if ((tokenProblem ?? siteTokenProblem) is { } problem)
            {
                Console.Error.WriteLine($"bootsvc: {problem}");
                return ExitCodes.InvalidInput;
            }

            try
            {
                var dataDirectory = DataDirectory.Resolve(parse.GetValue(data));
                options = new BootServiceOptions
                {
                    Interface = parse.GetValue(iface),
                    Mode = parse.GetValue(mode) switch
                    {
                        "full" => BootMode.Full,
                        "proxy" => BootMode.Proxy,
                        "http" => BootMode.HttpOnly,
                        var other => throw new FormatException($"--mode '{other}' is not one of full, proxy, http"),
                    },
                    ServerAddress = ParseAddress(parse.GetValue(address), "--address"),
                    Pool = parse.GetValue(pool) is { } p ? AddressRange.Parse(p) : null,
                    Router = ParseAddress(parse.GetValue(router), "--router"),
                    DnsServers = [.. (parse.GetValue(dns) ?? []).Select(d => ParseAddress(d, "--dns")!)],
                    LeaseTime = TimeSpan.FromSeconds(parse.GetValue(leaseTime)),
                    HttpPort = parse.GetValue(httpPort),
                    TftpPort = parse.GetValue(tftpPort),
                    Discovery = parse.GetValue(discovery),
                    RouterAdvertisements = parse.GetValue(routerAdvertisements),
                    AdminToken = token,
                    ExtraKernelArguments = parse.GetValue(kernelArgs) ?? "",
                    UpdateCheckInterval = parse.GetValue(updateCheck) is > 0 and var seconds ? TimeSpan.FromSeconds(seconds)
                        : throw new FormatException("--update-check-seconds must be a positive number of seconds"),
                    EventRetention = parse.GetValue(eventRetention) is > 0 and var kept ? kept
                        : throw new FormatException("--event-retention must be a positive number of events"),
                    DataDirectory = Path.Combine(dataDirectory, "bootsvc"),
                    ArtifactsDirectory = Path.GetFullPath(parse.GetValue(artifacts) ?? ArtifactStoreLayout.Root(dataDirectory)),
                    Upstream = parse.GetValue(upstream) is { } url
                        ? Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var site) && site.Scheme is "http" or "https" ? site
                            : throw new FormatException($"--upstream '{url}' is not an http(s) URL of the pipeline server")
                        : null,
                    UpstreamToken = siteToken,
                };
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"bootsvc: {e.Message}");
                return ExitCodes.InvalidInput;
            }

            return await RunAsync(options, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(BootServiceOptions options, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.ConfigureForBootFiles();
            kestrel.ListenAnyIP(options.HttpPort);
        });
        try
        {
            builder.Services.AddBootService(options);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"bootsvc: {e.Message}");
            return ExitCodes.InvalidInput;
        }

        await using var app = builder.Build();
        app.UseBootRequestLogging();
        app.MapBootService();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or System.Net.Sockets.SocketException or IOException)
        {
            Console.Error.WriteLine($"bootsvc: cannot start: {e.Message}");
            return ExitCodes.Failed;
        }

        var network = app.Services.GetRequiredService<BootNetwork>();
        Console.WriteLine($"boot service ready: mode {options.Mode.ToString().ToLowerInvariant()} on {options.Interface ?? "(no interface)"}, "
            + $"server {network.ServerAddress}, pool {network.Pool?.ToString() ?? "none"}, TFTP port {options.TftpPort}, HTTP port {options.HttpPort}, "
            + $"discovery {(options.Discovery ? "on" : "off")}");
        foreach (var file in new[] { BootService.Scripts.IpxeScripts.DeployKernel, BootService.Scripts.IpxeScripts.DeployInitrd })
        {
            if (!File.Exists(Path.Combine(options.FilesDirectory, file)))
                Console.Error.WriteLine($"bootsvc: warning: {Path.Combine(options.FilesDirectory, file)} is missing, so machines that need a deploy cannot boot one; run ./imagepipe build-deploy-env");
        }

        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync(CancellationToken.None);
        return ExitCodes.Success;
    }

    private static IPAddress? ParseAddress(string? text, string option) =>
        text is null ? null : IPAddress.TryParse(text, out var address) ? address : throw new FormatException($"{option} '{text}' is not an IP address");
}
