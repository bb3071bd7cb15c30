using System.Globalization;
using System.Security.Cryptography;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Lab;

namespace ImagePipeline.Cli.Lab;

/// <summary>
/// Starts a lab's controller (<c>imagepipe lab serve</c>) in the background, out of the caller's
/// session so that it outlives <c>lab up</c>, and waits until it is ready: the controller writes
/// lab.json only once every part answers, so "ready" is lab.json naming a live controller, and
/// "failed" is the controller's process gone before that (its log says why).
/// </summary>
public static class LabLauncher
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(3);

    /// <exception cref="LabNotStartedException">the controller could not be started, ended before it was ready, or was not ready in time</exception>
    public static async Task<LabState> StartAsync(string dataDirectory, int machines, IReadOnlyList<string> profiles, CancellationToken cancellationToken)
    {
        var labDirectory = LabSetup.LabDirectory(dataDirectory);
        Directory.CreateDirectory(labDirectory);
        var log = LogPath(labDirectory);
        var pidFile = Path.Combine(labDirectory, "controller.pid");
        File.Delete(pidFile);
        var launcher = CliLauncher.ForAssembly(typeof(LabLauncher).Assembly.Location);
        string[] serve = [.. launcher.Arguments, "lab", "serve", "--machines", machines.ToString(CultureInfo.InvariantCulture),
            "--profiles", string.Join(",", profiles), "--data", dataDirectory];
        // setsid -f: the controller leaves this terminal's session; the shell writes its pid, then becomes the controller (exec keeps the pid).
        var started = await CliWrap.Cli.Wrap("setsid")
            .WithArguments(["-f", "sh", "-c", "echo $$ >\"$IMAGEPIPE_LAB_PID\"; exec \"$0\" \"$@\" >>\"$IMAGEPIPE_LAB_LOG\" 2>&1 </dev/null", launcher.Program, .. serve])
            .WithEnvironmentVariables(e => e.Set("IMAGEPIPE_LAB_LOG", log).Set("IMAGEPIPE_LAB_PID", pidFile)
                .Set("IMAGEPIPE_ADMIN_TOKEN", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))))
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        if (started.ExitCode != 0)
            throw new LabNotStartedException($"could not start the lab controller: {started.StandardError.Trim()}");

        LabState? ready = null;
        try
        {
            await Retry.UntilAsync("the lab controller to be ready", _ =>
            {
                ready = LabState.Load(labDirectory) is { ControllerAlive: true } state ? state : null;
                if (ready is null && File.Exists(pidFile) && File.ReadAllText(pidFile).Trim() is { Length: > 0 } pid && !Directory.Exists($"/proc/{pid}"))
                    throw new LabNotStartedException($"the lab did not come up:\n{LogTail(log)}");
                return Task.FromResult(ready is null ? "lab.json not written yet" : null);
            }, ReadyTimeout, cancellationToken: cancellationToken);
        }
        catch (CheckFailedException)
        {
            throw new LabNotStartedException($"the lab was not ready after {ReadyTimeout.TotalMinutes:0} minutes; see {log}");
        }

        return ready!;
    }

    public static string LogPath(string labDirectory) => Path.Combine(labDirectory, "controller.log");

    private static string LogTail(string log) => File.Exists(log) ? string.Join('\n', File.ReadAllLines(log).TakeLast(20)) : "(the controller wrote no log)";
}
