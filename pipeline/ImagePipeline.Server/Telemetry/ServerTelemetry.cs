using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ImagePipeline.Server.Telemetry;

/// <summary>
/// OpenTelemetry tracing for the server, on when an OTLP endpoint (<c>--otlp-endpoint</c>) or
/// another exporter is configured: the pipeline's own spans (<see cref="PipelineTracing"/>), the
/// HTTP requests it serves (but <c>/metrics</c> scrapes and the web UI's assets) and the ones it
/// sends (to boot services and BMCs). Prometheus's <c>/metrics</c> stays as it is.
/// </summary>
public static class ServerTelemetry
{
    public const string ServiceName = "imagepipeline-server";

    public static void Add(IServiceCollection services, ServerOptions options)
    {
        if (options.OtlpEndpoint is null && options.TraceExporter is null)
            return;
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceInstanceId: options.WorkerName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(PipelineTracing.SourceName)
                    .AddAspNetCoreInstrumentation(aspNet => aspNet.Filter = http =>
                        !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/assets"))
                    // The boot services' event feeds are long polls, one open at all times: not worth a span each.
                    .AddHttpClientInstrumentation(http => http.FilterHttpRequestMessage = request =>
                        request.RequestUri?.AbsolutePath.StartsWith("/api/v1/events", StringComparison.Ordinal) != true);
                if (options.OtlpEndpoint is { } endpoint)
                {
                    tracing.AddOtlpExporter(otlp =>
                    {
                        otlp.Endpoint = endpoint;
                        // A collector's OTLP/HTTP traces URL says which protocol: gRPC otherwise (port 4317).
                        if (endpoint.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal))
                            otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
                    });
                }
                options.TraceExporter?.Invoke(tracing);
            });
    }
}
