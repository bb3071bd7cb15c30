using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Api;
using ImagePipeline.Server.Tests.Support;
using ImagePipeline.Tests.Waiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Tests.Telemetry;

/// <summary>
/// The server's real OTLP exporter against a collector's OTLP/HTTP endpoint (a receiver on
/// loopback that keeps what it is sent): a promotion's span reaches it, in protobuf, with the
/// server's service name. (The span tree itself is asserted in <c>PipelineTests</c>.)
/// </summary>
public sealed class OtlpExportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_given_an_OTLP_HTTP_endpoint_sends_its_spans_there_as_protobuf_with_its_service_name()
    {
        var received = new ConcurrentQueue<(string ContentType, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var collector = builder.Build();
        collector.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, Ct);
            received.Enqueue((request.ContentType ?? "", body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync(Ct);
        await using var server = await TestServer.StartAsync(configure: o => o with { OtlpEndpoint = new Uri(new Uri(collector.Urls.First()), "/v1/traces") });
        using var requester = await server.ClientAsync(Roles.Builder);
        using var approver = await server.ClientAsync(Roles.Approver);

        await PromotionApiTests.SignedAsync(server, requester, approver);
        // The exporter sends in batches (every 5 s by default).
        await Eventually.WaitAsync("the promotion's span at the collector", () => Task.FromResult(received.Any(r => Contains(r.Body, "pipeline.promotion"))), 30);

        var batch = received.First(r => Contains(r.Body, "pipeline.promotion"));
        batch.ContentType.ShouldBe("application/x-protobuf");
        Contains(batch.Body, "imagepipeline-server").ShouldBeTrue("the resource names the service");
        Contains(batch.Body, "imagepipeline.decision").ShouldBeTrue("the span carries its attributes");
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}
