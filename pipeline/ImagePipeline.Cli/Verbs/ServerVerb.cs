using System.CommandLine;
using System.Text.RegularExpressions;
using ImagePipeline.Server;
using ImagePipeline.Server.Fleet;
using ImagePipeline.Server.Hosting;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace ImagePipeline.Cli.Verbs;

/// <summary><c>imagepipe server</c>: the pipeline server — API, Hangfire jobs and dashboard — on the embedded store or a shared PostgreSQL.</summary>
public static partial class ServerVerb
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "where to listen (semicolon-separated); loopback only by default (every endpoint needs an account; put TLS in front of it before opening it wider)", DefaultValueFactory = _ => DefaultUrl };
        var database = new Option<string?>("--database") { Description = "PostgreSQL for state and jobs, shared by every server process: 'Host=H;Database=D;Username=U;Password=P' or postgresql://U:P@H:5432/D (default $IMAGEPIPE_DATABASE, which keeps its password out of ps; else embedded SQLite under DATA/server, one process)" };
        var adminPassword = new SecretOption("admin-password", "first start only: the password of the account 'admin' (else a one-time password)", "IMAGEPIPE_ADMIN_PASSWORD");
        var bootService = new Option<string?>("--boot-service") { Description = "the boot service rollouts deploy through (its URL, e.g. http://10.0.0.2:8080); default $IMAGEPIPE_BOOTSVC" };
        var bootServiceToken = new SecretOption("boot-service-token", "the boot service's admin token", "IMAGEPIPE_BOOTSVC_TOKEN");
        var sites = new Option<string[]>("--site")
        {
            Description = "a site with a boot service of its own, NAME=URL (repeatable): machines registered at site NAME deploy through it, every other machine through --boot-service; "
                + "its admin token is $IMAGEPIPE_SITE_TOKEN_NAME (NAME in capitals, '-' as '_'), else the --boot-service token",
        };
        var channels = new Option<string?>("--channels") { Description = "the channels after candidate, with the approvals each needs (default staging:1,production:1)" };
        var signingKey = new Option<string?>("--signing-key") { Description = "PEM ECDSA P-256 private key that signs approved images (default DATA/server/signing-key.pem, made on first start)" };
        var emergencyHours = new Option<double>("--emergency-approval-hours") { Description = "how long an emergency promotion's approval stays valid for starting rollouts", DefaultValueFactory = _ => 24 };
        var heartbeatStale = new Option<double>("--heartbeat-stale")
        {
            Description = "seconds a run's heartbeat may be missing before another server hands the run to a new job (a working job beats six times in that window)", DefaultValueFactory = _ => 30,
        };
        var retention = new Option<double>("--artifact-retention-days") { Description = "days an image nothing refers to (no version, rollout or running run: a failed validation's, one built outside the server) stays in the artifact store before the nightly collection removes it", DefaultValueFactory = _ => 14 };
        var gitTimeout = new Option<double>("--git-timeout") { Description = "seconds a clone or fetch of a recipe source may take before it is killed and its job fails", DefaultValueFactory = _ => 300 };
        var otlp = new Option<string?>("--otlp-endpoint")
        {
            Description = "send traces (a run from its trigger through build stages, validation per profile, promotion, rollout waves and each machine's deploy phases) to this OpenTelemetry collector by OTLP, "
                + "e.g. http://collector:4317 (gRPC), or a URL ending /v1/traces (OTLP/HTTP, e.g. http://collector:4318/v1/traces); default $OTEL_EXPORTER_OTLP_ENDPOINT, else no tracing",
        };
        var importLimit = new Option<string>("--import-max-size") { Description = "the largest disk image POST /api/v1/images takes (the upload and the disk in it), e.g. 64G", DefaultValueFactory = _ => ImportVerb.DefaultLimit };
        var data = new Option<string?>("--data") { Description = "data directory (default ./data or $IMAGEPIPE_DATA)" };
        var command = new Command("server", "Run the pipeline server: the web UI (/), REST API (/api/v1, /openapi/v1.json), webhooks, Hangfire jobs and dashboard (/hangfire), /healthz and /readyz.")
        {
            urls, database, data, adminPassword.File, adminPassword.Refused, bootService, bootServiceToken.File, bootServiceToken.Refused, sites, channels, signingKey, emergencyHours, heartbeatStale, gitTimeout, retention, otlp, importLimit,
        };
        var oidc = new OidcOptions();
        foreach (var option in oidc.All)
            command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (bootServiceSecret, tokenProblem) = bootServiceToken.Read(parse);
            var (adminSecret, passwordProblem) = adminPassword.Read(parse);
            if ((tokenProblem ?? passwordProblem) is { } secretProblem)
            {
                Console.Error.WriteLine($"server: {secretProblem}");
                return ExitCodes.InvalidInput;
            }

            var bootServiceUrl = parse.GetValue(bootService) ?? Environment.GetEnvironmentVariable("IMAGEPIPE_BOOTSVC");
            Uri? bootServiceUri = null;
            if (!string.IsNullOrWhiteSpace(bootServiceUrl) && (!Uri.TryCreate(bootServiceUrl.TrimEnd('/') + "/", UriKind.Absolute, out bootServiceUri) || bootServiceUri.Scheme is not ("http" or "https")))
            {
                Console.Error.WriteLine($"server: --boot-service '{bootServiceUrl}' is not an http(s) URL; give the boot service's address, e.g. http://10.0.0.2:8080");
                return ExitCodes.InvalidInput;
            }

            var siteBootServices = new List<BootServiceSite>();
            foreach (var site in parse.GetValue(sites) ?? [])
            {
                var parts = site.Split('=', 2);
                if (parts.Length != 2 || !SiteName().IsMatch(parts[0]) || !Uri.TryCreate(parts[1].TrimEnd('/') + "/", UriKind.Absolute, out var siteUrl) || siteUrl.Scheme is not ("http" or "https")
                    || siteBootServices.Any(s => s.Site == parts[0]))
                {
                    Console.Error.WriteLine($"server: --site '{site}' is not NAME=URL with a site name (a-z, 0-9, '-') given once and an http(s) URL, e.g. --site fra1=http://10.1.0.2:8080");
                    return ExitCodes.InvalidInput;
                }

                var token = Environment.GetEnvironmentVariable($"IMAGEPIPE_SITE_TOKEN_{parts[0].ToUpperInvariant().Replace('-', '_')}") ?? bootServiceSecret;
                siteBootServices.Add(new BootServiceSite(parts[0], siteUrl, token));
            }

            if (parse.GetValue(emergencyHours) is var hours and (<= 0 or > 24 * 30))
            {
                Console.Error.WriteLine($"server: --emergency-approval-hours {hours} is out of range: give 0.1 to 720 hours (default 24)");
                return ExitCodes.InvalidInput;
            }

            if (parse.GetValue(heartbeatStale) is var stale and (< 3 or > 3600))
            {
                Console.Error.WriteLine($"server: --heartbeat-stale {stale} is out of range: give 3 to 3600 seconds (default 30)");
                return ExitCodes.InvalidInput;
            }

            if (parse.GetValue(retention) is var days and (< 1 or > 3650))
            {
                Console.Error.WriteLine($"server: --artifact-retention-days {days} is out of range: give 1 to 3650 days (default 14)");
                return ExitCodes.InvalidInput;
            }

            if (parse.GetValue(gitTimeout) is var git and (< 1 or > 86400))
            {
                Console.Error.WriteLine($"server: --git-timeout {git} is out of range: give 1 to 86400 seconds (default 300)");
                return ExitCodes.InvalidInput;
            }

            var (oidcSettings, oidcProblem) = oidc.Read(parse);
            if (oidcProblem is not null)
            {
                Console.Error.WriteLine($"server: {oidcProblem}");
                return ExitCodes.InvalidInput;
            }

            if (!Recipes.ByteSize.TryParse(parse.GetValue(importLimit)!, out var importBytes) || importBytes <= 0)
            {
                Console.Error.WriteLine($"server: --import-max-size '{parse.GetValue(importLimit)}' is not a size; give one like 64G or 512M");
                return ExitCodes.InvalidInput;
            }

            Uri? otlpEndpoint = null;
            if ((parse.GetValue(otlp) ?? Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")) is { Length: > 0 } collector
                && !(Uri.TryCreate(collector, UriKind.Absolute, out otlpEndpoint) && otlpEndpoint.Scheme is "http" or "https"))
            {
                Console.Error.WriteLine($"server: --otlp-endpoint '{collector}' is not an http(s) URL of an OpenTelemetry collector (e.g. http://collector:4317)");
                return ExitCodes.InvalidInput;
            }

            var options = new ServerOptions
            {
                OtlpEndpoint = otlpEndpoint,
                Oidc = oidcSettings,
                ImportLimit = importBytes,
                HeartbeatStale = TimeSpan.FromSeconds(parse.GetValue(heartbeatStale)),
                GitTimeout = TimeSpan.FromSeconds(parse.GetValue(gitTimeout)),
                ArtifactRetention = TimeSpan.FromDays(parse.GetValue(retention)),
                DataDirectory = DataDirectory.Resolve(parse.GetValue(data)),
                Database = parse.GetValue(database) ?? Environment.GetEnvironmentVariable("IMAGEPIPE_DATABASE"),
                ReportAgent = await AgentBinary.EnsurePublishedAsync(cancellationToken),
                BootServiceUrl = bootServiceUri,
                BootServiceToken = bootServiceSecret,
                Sites = siteBootServices,
                Channels = parse.GetValue(channels),
                SigningKeyPath = parse.GetValue(signingKey),
                EmergencyApprovalLifetime = TimeSpan.FromHours(parse.GetValue(emergencyHours)),
                AdminPassword = adminSecret,
            };
            WebApplication app;
            try
            {
                app = ServerHost.Build(options, parse.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries));
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                Console.Error.WriteLine($"server: {e.Message}");
                return ExitCodes.InvalidInput;
            }

            await using (app)
            {
                await app.StartAsync(cancellationToken);
                Console.WriteLine($"server ready: {string.Join(", ", app.Urls)} (web UI /, API /api/v1, OpenAPI /openapi/v1.json, jobs /hangfire), data {options.DataDirectory}, store {app.Services.GetRequiredService<StateStore>().Description}, worker {options.WorkerName}");
                // Until Ctrl-C, or until the host itself asks to stop (a hosted service that failed to start
                // or ended in error): the process then exits instead of living on half-dead behind /readyz.
                var lifetime = app.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
                using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
                try
                {
                    await Task.Delay(Timeout.Infinite, either.Token);
                }
                catch (OperationCanceledException)
                {
                }

                var byHost = !cancellationToken.IsCancellationRequested;
                await app.StopAsync(CancellationToken.None);
                if (byHost)
                {
                    Console.Error.WriteLine("server: the host stopped by itself (see the errors above): exiting");
                    return ExitCodes.Failed;
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex SiteName();
}
