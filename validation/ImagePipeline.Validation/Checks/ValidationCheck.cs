using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Checks;

/// <summary>One thing a booted image must do. Throws <see cref="Harness.CheckFailedException"/> with the reason in words when it does not.</summary>
public abstract record ValidationCheck(string Name, TimeSpan Timeout)
{
    /// <summary>Guest TCP ports this check needs forwarded to the host.</summary>
    public virtual IEnumerable<int> GuestPorts => [];

    public abstract Task RunAsync(QemuVm vm, CheckContext context, CancellationToken cancellationToken);
}

/// <summary>What checks of one VM share: where evidence goes, and the boot report once seen.</summary>
public sealed class CheckContext(string evidenceDirectory, string profile)
{
    public string EvidenceDirectory { get; } = evidenceDirectory;
    public string Profile { get; } = profile;
    private BootReport? bootReport;

    /// <summary>
    /// The image's boot-report line, waited for once and shared by the checks that read it; read
    /// without the kernel's log records, one of which can break into the line on a busy host.
    /// </summary>
    public async Task<BootReport> BootReportAsync(QemuVm vm, TimeSpan timeout, CancellationToken cancellationToken) =>
        bootReport ??= BootReport.Parse(await vm.WaitForConsoleTextAsync(BootReport.Pattern(), timeout, cancellationToken: cancellationToken, withoutKernelLog: true));
    public List<string> Screenshots { get; } = [];
}
