using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.BootService.Http;

/// <summary>One log line per boot-path request (script, file, image): who fetched what, how big, how long. The trail an operator reads when a machine will not boot.</summary>
public static partial class BootRequestLogging
{
    public static IApplicationBuilder UseBootRequestLogging(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetService(typeof(ILoggerFactory)) is ILoggerFactory factory
            ? factory.CreateLogger("ImagePipeline.BootService.Http")
            : null;
        return app.Use(async (context, next) =>
        {
            var watch = Stopwatch.StartNew();
            await next(context);
            var path = context.Request.Path.Value ?? "";
            if (logger is not null && (path.StartsWith("/boot/", StringComparison.Ordinal) || path.StartsWith("/files/", StringComparison.Ordinal) || path.StartsWith("/images/", StringComparison.Ordinal)))
            {
                LogRequest(logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", context.Request.Method, path,
                    context.Request.Headers.Range.ToString(), context.Response.StatusCode, context.Response.ContentLength ?? -1, watch.Elapsed.TotalMilliseconds);
            }
        });
    }

    [LoggerMessage(1, LogLevel.Information, "HTTP {Client} {Method} {Path} {Range} -> {Status}, {Bytes} bytes in {Milliseconds:0} ms")]
    private static partial void LogRequest(ILogger logger, string client, string method, string path, string range, int status, long bytes, double milliseconds);
}
