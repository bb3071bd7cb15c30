using Hangfire.Logging;
using Microsoft.Extensions.Logging;
using HangfireLevel = Hangfire.Logging.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace ImagePipeline.Server.Hosting;

/// <summary>
/// Hangfire's log output, written through the server's own loggers. Hangfire keeps one log
/// provider per process (a static), while its ASP.NET Core integration binds it to a host's logger
/// factory, which the host disposes when it stops: every Hangfire call in another host of the same
/// process (a job enqueued by a test's server after another test's server stopped) then threw
/// ObjectDisposedException. This provider writes while its host's loggers live and drops the line
/// after; one server per process, as in production, sees no difference.
/// </summary>
internal sealed class HangfireLogging(ILoggerFactory loggers) : ILogProvider
{
    public ILog GetLogger(string name) => new HostLog(loggers, name);

    private sealed class HostLog(ILoggerFactory loggers, string name) : ILog
    {
        private ILogger? logger;

        public bool Log(HangfireLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            var level = logLevel switch
            {
                HangfireLevel.Trace => LogLevel.Trace,
                HangfireLevel.Debug => LogLevel.Debug,
                HangfireLevel.Info => LogLevel.Information,
                HangfireLevel.Warn => LogLevel.Warning,
                HangfireLevel.Error => LogLevel.Error,
                _ => LogLevel.Critical,
            };
            try
            {
                logger ??= loggers.CreateLogger(name);
                if (messageFunc is null || !logger.IsEnabled(level))
                    return logger.IsEnabled(level);
                logger.Log(level, default, messageFunc(), exception, static (message, _) => message);
                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
