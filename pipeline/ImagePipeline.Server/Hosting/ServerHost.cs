using Hangfire;
using ImagePipeline.Server.Api;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.Promotion;
using ImagePipeline.Server.Rollouts;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Hosting;

/// <summary>
/// The pipeline server: state in EF Core (migrated at start), Hangfire's server and dashboard on
/// the same store choice, the REST API under /api/v1 with an OpenAPI document, and health
/// endpoints. <c>imagepipe server</c> runs it; tests build it with their own options.
/// </summary>
public static class ServerHost
{
    /// <param name="quiet">only warnings and errors from ASP.NET Core, Hangfire and the HTTP clients: for a host that prints its own progress (the demo)</param>
    public static WebApplication Build(ServerOptions options, string[]? urls = null, bool quiet = false)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        // One line per entry, exceptions included, as the boot service logs: a journal counts entries, not stack frames.
        builder.Logging.ClearProviders().AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        if (urls is not null)
            builder.WebHost.UseUrls(urls);
        if (quiet)
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning).AddFilter("Hangfire", LogLevel.Warning);
        builder.Services.AddPipelineServer(options);
        var app = builder.Build();
        app.UsePipelineServer();
        return app;
    }

    /// <summary>The request pipeline: the Hangfire dashboard, the API, health and metrics. Shared by <see cref="Build"/> and hosts built elsewhere (WebApplicationFactory in tests).</summary>
    public static IApplicationBuilder UsePipelineServer(this IApplicationBuilder app)
    {
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseEndpoints(endpoints =>
        {
            endpoints.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [new AdminDashboardFilter()] }).RequireAuthorization(Roles.Policies.Administer);
            endpoints.MapOpenApi().RequireAuthorization(Roles.Policies.Read);
            endpoints.MapAccountsApi();
            endpoints.MapHealthApi();
            endpoints.MapSourcesApi();
            endpoints.MapRecipesApi();
            endpoints.MapRunsApi();
            endpoints.MapImagesApi();
            endpoints.MapImageImportApi();
            endpoints.MapImportsApi();
            endpoints.MapArtifactsApi();
            endpoints.MapPromotionsApi();
            endpoints.MapMachinesApi();
            endpoints.MapRolloutsApi();
            endpoints.MapWebhookApi();
            endpoints.MapMetricsApi();
            endpoints.MapWebUi();
        });
        return app;
    }

    private static AuthorizationPolicy Policy(string[] roles) => new AuthorizationPolicyBuilder(SignInSchemes.Auto)
        .RequireAuthenticatedUser()
        .RequireRole(roles)
        .RequireAssertion(context => !context.User.HasClaim(CredentialsAuthenticationHandler.MustChangePasswordClaim, "true"))
        .Build();

    public static IServiceCollection AddPipelineServer(this IServiceCollection services, ServerOptions options)
    {
        Directory.CreateDirectory(options.ServerDirectory);
        services.AddRouting();
        services.AddAuthentication(SignInSchemes.Auto)
            .AddPolicyScheme(SignInSchemes.Auto, "header credentials or the web UI's cookie", scheme => scheme.ForwardDefaultSelector = SignInSchemes.Select)
            .AddScheme<AuthenticationSchemeOptions, CredentialsAuthenticationHandler>(CredentialsAuthenticationHandler.SchemeName, null)
            .AddWebUiCookie();
        if (options.Oidc is { } oidc)
            services.AddAuthentication().AddWebUiOidc(oidc);
        services.AddAuthorization(authorization =>
        {
            // Deny by default: an endpoint that says nothing needs an account with a role, whose one-time password is changed.
            authorization.FallbackPolicy = Policy(Roles.Accepted[Roles.Policies.Read]);
            foreach (var (name, roles) in Roles.Accepted)
                authorization.AddPolicy(name, Policy(roles));
            authorization.AddPolicy(Roles.Policies.SignedIn, new AuthorizationPolicyBuilder(SignInSchemes.Auto).RequireAuthenticatedUser().Build());
        });
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ExplainedDenials>();
        // Every SQL statement at Information drowns the server's own lines.
        // The web UI's cookie keys sit unencrypted in DATA/server/keys, like the signing key beside them: the data directory is the secret, so the warning about it is noise.
        // EF Core logs each failed query and connection again, with its stack, before its caller gets the exception:
        // the caller says it once (a loop folds a repeated error; a request's 500 is ASP.NET Core's entry).
        services.AddLogging(logging => logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Critical)
            .AddFilter("Microsoft.EntityFrameworkCore.Database.Connection", LogLevel.Critical)
            .AddFilter("Microsoft.EntityFrameworkCore.Query", LogLevel.Critical)
            .AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ImagePipeline.Loops.LoopRegistry>();
        services.AddSingleton<ServerLoops>();
        services.AddSingleton(options);
        var store = StateStore.For(options);
        services.AddSingleton(store);
        store.AddPipelineDb(services);
        services.AddHangfire((provider, hangfire) => store.UseHangfireStorage(hangfire
            .UseLogProvider(new HangfireLogging(provider.GetRequiredService<ILoggerFactory>()))
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings(), options));
        services.AddHangfireServer(server =>
        {
            server.ServerName = $"{options.WorkerName}:build";
            server.Queues = [Queues.Critical, Queues.Default];
            server.WorkerCount = options.Workers;
        });
        services.AddHangfireServer(server =>
        {
            server.ServerName = $"{options.WorkerName}:validation";
            server.Queues = [Queues.CriticalValidation, Queues.Validation];
            server.WorkerCount = options.ValidationWorkers;
        });
        services.AddSingleton(Channels.Parse(options.Channels));
        services.AddSingleton<ImageSigner>();
        services.AddSingleton<PromotionDesk>();
        services.AddHttpClient("bootsvc", http => http.Timeout = TimeSpan.FromSeconds(20));
        services.AddHttpClient(Fleet.BootServiceFeed.HttpClientName, http => http.Timeout = Fleet.BootServiceFeed.Wait + TimeSpan.FromSeconds(30));
        services.AddHttpClient("redfish", http => http.Timeout = TimeSpan.FromSeconds(30));
        services.AddKeyedSingleton<ImagePipeline.Loops.LoopWakeup>(ServerLoops.RolloutController);
        services.AddSingleton<Fleet.BootServiceFeeds>();
        services.TryAddSingleton<IFleetLink, BootServiceFleetLink>();
        services.AddSingleton<RolloutDesk>();
        services.AddSingleton<RolloutDriver>();
        services.AddSingleton<RolloutController>();
        services.AddSingleton<RunLogs>();
        services.AddSingleton<Webhooks.DeliveryMemory>();
        services.AddSingleton<Fleet.BmcPasswords>();
        services.AddSingleton<Webhooks.RefusalAudit>();
        services.AddSingleton<RunScheduler>();
        services.AddSingleton<RunReclaimer>();
        services.AddTransient<PipelineJobs>();
        services.AddHostedService<ServerStartup>();
        // After ServerStartup: hosted services start in order, and the loops need the migrated schema.
        services.AddHostedService<RunReclaimerLoop>();
        services.AddHostedService(provider => provider.GetRequiredService<Fleet.BootServiceFeeds>());
        services.AddHostedService(provider => provider.GetRequiredService<RolloutController>());
        services.AddOpenApi();
        services.AddWebUi(options);
        Telemetry.ServerTelemetry.Add(services, options);
        return services;
    }
}
