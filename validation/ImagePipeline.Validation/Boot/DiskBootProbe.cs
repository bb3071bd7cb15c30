using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using CliWrap;
using ImagePipeline.Validation.Machines;

namespace ImagePipeline.Validation.Boot;

/// <summary>
/// Boots an image's qcow2 in QEMU (through CliWrap) on a private overlay and watches the serial
/// console for a marker. The artifact is only ever a read-only backing file; the overlay and the
/// UEFI variable copy live in a scratch directory removed when the probe ends, however it ends.
/// This is the seed of the validation harness: it answers "does this disk boot on this hardware".
/// </summary>
public static class DiskBootProbe
{
    /// <summary>The console shows a kernel panic: the boot has failed, no need to wait for the timeout.</summary>
    private static readonly Regex Panic = new("Kernel panic - not syncing|imagepipeline-initramfs: .*not", RegexOptions.Compiled);

    public static async Task<BootOutcome> BootAsync(QemuMachine machine, string imageQcow2, Regex marker, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var scratch = Directory.CreateTempSubdirectory("imagepipe-boot-").FullName;
        var console = new StringBuilder();
        var watch = Stopwatch.StartNew();
        try
        {
            var overlay = Path.Combine(scratch, "overlay.qcow2");
            await Cli.Wrap("qemu-img")
                .WithArguments(["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", Path.GetFullPath(imageQcow2), overlay])
                .ExecuteAsync(cancellationToken);
            string? vars = null;
            if (machine.Firmware == Firmware.Uefi)
            {
                vars = Path.Combine(scratch, "OVMF_VARS.fd");
                File.Copy(QemuArguments.OvmfVars, vars);
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stop.CancelAfter(timeout);
            var found = false;
            string? failure = null;
            var target = PipeTarget.Create(async (stream, token) =>
            {
                var buffer = new byte[4096];
                int read;
                while ((read = await stream.ReadAsync(buffer, token)) > 0)
                {
                    lock (console)
                    {
                        console.Append(Encoding.UTF8.GetString(buffer, 0, read));
                        var text = console.ToString();
                        if (marker.IsMatch(text))
                        {
                            found = true;
                            stop.Cancel();
                        }
                        else if (Panic.Match(text) is { Success: true } panic)
                        {
                            failure = $"the console shows a failure: {panic.Value}";
                            stop.Cancel();
                        }
                    }
                }
            });

            var arguments = QemuArguments.For(machine, overlay, vars).Concat(["-serial", "stdio", "-monitor", "none"]);
            try
            {
                var result = await Cli.Wrap("qemu-system-x86_64")
                    .WithArguments(arguments)
                    .WithValidation(CommandResultValidation.None)
                    .WithStandardOutputPipe(target)
                    .WithStandardErrorPipe(PipeTarget.ToDelegate(line => { lock (console) console.AppendLine("[qemu] " + line); }))
                    .ExecuteAsync(stop.Token, CancellationToken.None);
                failure ??= $"QEMU exited (code {result.ExitCode}) before the marker /{marker}/ appeared";
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (!found)
                    failure ??= $"the marker /{marker}/ did not appear within {timeout.TotalSeconds:0} s";
            }

            return new BootOutcome(found, watch.Elapsed, console.ToString(), found ? null : failure);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
