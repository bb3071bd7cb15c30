using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Checks;

/// <summary>Built in: no systemd unit failed during boot (images without systemd report none).</summary>
public sealed record FailedUnitsCheck(TimeSpan Timeout) : ValidationCheck("no-failed-units", Timeout)
{
    public override async Task RunAsync(QemuVm vm, CheckContext context, CancellationToken cancellationToken)
    {
        var report = await context.BootReportAsync(vm, Timeout, cancellationToken);
        if (report.FailedUnits.Count > 0)
            throw new CheckFailedException($"systemd units failed during boot: {string.Join(", ", report.FailedUnits)}");
    }
}
