using ImagePipeline.Validation.Lab;
using ImagePipeline.Validation.Lab.Redfish;
using Microsoft.AspNetCore.Builder;

namespace ImagePipeline.Cli.Lab;

/// <summary>A lab held by this process: the fleet and the web host of its Redfish façade.</summary>
public sealed class RunningLab(LabFleet fleet, WebApplication redfish, Uri redfishUrl, RedfishCredentials credentials) : IAsyncDisposable
{
    public LabFleet Fleet { get; } = fleet;
    public Uri RedfishUrl { get; } = redfishUrl;
    public RedfishCredentials Credentials { get; } = credentials;

    public async ValueTask DisposeAsync()
    {
        await redfish.StopAsync(CancellationToken.None);
        await redfish.DisposeAsync();
        await Fleet.DisposeAsync();
    }
}
