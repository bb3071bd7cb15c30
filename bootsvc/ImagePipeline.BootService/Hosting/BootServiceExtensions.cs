using System.Text.Json.Serialization;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.BootService.Contract;
using ImagePipeline.BootService.Dhcp;
using ImagePipeline.BootService.Files;
using ImagePipeline.BootService.Http;
using ImagePipeline.BootService.Images;
using ImagePipeline.BootService.Inventory;
using ImagePipeline.BootService.Scripts;
using ImagePipeline.BootService.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImagePipeline.BootService.Hosting;

/// <summary>
/// Adds the boot service to an ASP.NET Core host: standalone (<c>imagepipe bootsvc</c>) or
/// embedded in the pipeline server, which then serves both from one process.
/// </summary>
public static class BootServiceExtensions
{
    public static IServiceCollection AddBootService(this IServiceCollection services, BootServiceOptions options)
    {
        var network = BootNetwork.Resolve(options);
        Directory.CreateDirectory(options.FilesDirectory);
        Directory.CreateDirectory(options.ArtifactsDirectory);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(network);
        services.AddSingleton(sp => BootDatabase.OpenAsync(options.DatabasePath, CancellationToken.None).GetAwaiter().GetResult());
        services.AddSingleton(sp => new SqliteMachineInventory(sp.GetRequiredService<BootDatabase>(), sp.GetRequiredService<TimeProvider>(), options.EventRetention));
        services.AddSingleton<IMachineInventory>(sp => sp.GetRequiredService<SqliteMachineInventory>());
        services.AddSingleton<IMachineLookup>(sp => sp.GetRequiredService<SqliteMachineInventory>());
        services.AddSingleton<IBootSightings>(sp => sp.GetRequiredService<SqliteMachineInventory>());
        services.AddSingleton<ILeaseStore, SqliteLeaseStore>();
        services.AddSingleton(new BootEndpoints(network.ServerAddress, options.HttpPort));
        services.AddSingleton<BootFilePlanner>();
        services.AddSingleton(new BootFiles([options.FilesDirectory, options.IpxeDirectory]));
        services.AddSingleton<IImageCatalog>(new ArtifactStoreCatalog(options.ArtifactsDirectory, streamOnDemand: options.Upstream is not null));
        services.AddSingleton(new ChunkStore(options.ChunksDirectory));
        if (options.Upstream is { } upstream)
        {
            if (options.UpstreamToken is not { Length: > 0 } upstreamToken)
                throw new InvalidOperationException($"--upstream {upstream} needs an operator's API token of that server (--upstream-token-file or IMAGEPIPE_UPSTREAM_TOKEN)");
            services.AddSingleton(SiteCache.Create(upstream, upstreamToken, options.ArtifactsDirectory, options.ChunksDirectory));
        }

        services.AddSingleton(new BootScriptPolicy(options.Discovery, ExtraKernelArguments: options.ExtraKernelArguments, LeasesAddresses: options.Mode == BootMode.Full));
        services.AddSingleton<BootScriptPlanner>();
        services.AddSingleton<DeployProgressBoard>();
        services.AddSingleton<BootNetworkService>();
        services.AddHostedService(sp => sp.GetRequiredService<BootNetworkService>());
        services.AddSingleton<Health.HealthProber>();
        services.AddHostedService(sp => sp.GetRequiredService<Health.HealthProber>());
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ProtocolJson.Default);
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, BootServiceJson.Default);
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            json.SerializerOptions.Converters.Add(new IPAddressJsonConverter());
        });
        return services;
    }

    /// <summary>
    /// Kestrel settings for serving kernels and images: a 1 MiB response buffer instead of 64 KiB,
    /// so a large file is copied in fewer, larger writes (measured by <c>imagepipe bench http</c>).
    /// </summary>
    public static void ConfigureForBootFiles(this KestrelServerOptions kestrel)
    {
        kestrel.Limits.MaxResponseBufferSize = 1 << 20;
        kestrel.AddServerHeader = false;
    }

    public static IEndpointRouteBuilder MapBootService(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<BootServiceOptions>();
        app.MapBootScripts();
        app.MapBootFiles(new FileJail(options.ArtifactsDirectory));
        app.MapChunks();
        app.MapAgentApi(options.UpdateCheckInterval);
        var network = app.ServiceProvider.GetRequiredService<BootNetworkService>();
        var cache = app.ServiceProvider.GetService<SiteCache>();
        app.MapInventoryApi(options.AdminToken, () => network.Snapshot() with { SiteCache = cache?.Statistics });
        return app;
    }
}
