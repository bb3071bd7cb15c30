using ImagePipeline.Server.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Tests.Support;

/// <summary>
/// ASP.NET Core's WebApplicationFactory over the pipeline server: the server's own services and
/// request pipeline (<see cref="ServerHost.AddPipelineServer"/>, <see cref="ServerHost.UsePipelineServer"/>)
/// on ASP.NET Core's in-memory test server, with the real store, Hangfire and jobs behind it.
/// The entry point is the CLI's (<c>imagepipe server</c>); the host is made here, with the
/// test's options, instead of by parsing a command line.
/// </summary>
internal sealed class PipelineServerFactory(ServerOptions options) : WebApplicationFactory<Program>
{
    protected override IHostBuilder CreateHostBuilder() =>
        Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .ConfigureWebHost(web => web
                .UseContentRoot(AppContext.BaseDirectory)
                .ConfigureServices(services => services.AddPipelineServer(options))
                .Configure(app => app.UsePipelineServer()));
}
