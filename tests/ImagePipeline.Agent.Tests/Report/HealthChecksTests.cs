using System.Net;
using System.Net.Sockets;
using ImagePipeline.Agent.Report;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Agent.Tests.Report;

/// <summary>The recipe's checks, run by the report agent against real sockets, a real HTTP server and a real shell.</summary>
public sealed class HealthChecksTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Passing_and_failing_checks_are_reported_with_their_reasons_and_harness_only_checks_are_skipped()
    {
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        await using var web = builder.Build();
        web.MapGet("/", () => "<h1>debian-web</h1>");
        await web.StartAsync(Ct);
        var closed = FreePort();
        var json = $$"""
            [
              { "tcp": "{{port}}" },
              { "tcp": { "port": "{{closed}}", "timeout": "1" } },
              { "http": { "port": "{{port}}", "path": "/", "status": "200", "body": "debian-web" } },
              { "http": { "port": "{{port}}", "path": "/", "body": "nginx", "timeout": "1" } },
              { "command": { "run": "uname -s", "output": "^Linux" } },
              { "command": { "run": "exit 3", "timeout": "1" } },
              { "command": { "run": "printf 'rootfs / rootfs rw\\n/dev/mapper/imagepipeline-root / erofs ro 0 0\\n'", "output": "^/dev/mapper/imagepipeline-root / erofs ro " } },
              { "console": "login: " },
              { "screenshot": "true" }
            ]
            """;

        var results = await new HealthChecks { RetryInterval = TimeSpan.FromMilliseconds(100) }.RunAsync(json, Ct);

        results.Select(r => (r.Name, r.Passed)).ShouldBe(
        [
            ($"tcp {port}", true), ($"tcp {closed}", false), ($"http :{port}/", true), ($"http :{port}/", false),
            ("command uname -s", true), ("command exit 3", false),
            // ^ and $ are line anchors, as in the validation harness: the same recipe check passes in both.
            ($"command printf 'rootfs / rootfs rw\\n/dev/mapper/imagepipeline-root / erofs ro 0 0\\n'", true),
        ]);
        results[3].Detail!.ShouldContain("does not contain 'nginx'");
        results[5].Detail!.ShouldContain("exit 3");
    }
}
