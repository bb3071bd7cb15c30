using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Checks;

/// <summary>Built in: at least one NIC has an address. A NIC the kernel has no driver for is named as such, not left as a bare timeout.</summary>
public sealed record NetworkCheck(TimeSpan Timeout) : ValidationCheck("network", Timeout)
{
    public override async Task RunAsync(QemuVm vm, CheckContext context, CancellationToken cancellationToken)
    {
        var report = await context.BootReportAsync(vm, Timeout, cancellationToken);
        if (report.Nics.Count == 0)
        {
            throw new CheckFailedException(
                $"no network interface came up: the image's kernel found no driver for this machine's NIC ({vm.Machine.Nic}); " +
                "use a kernel with that driver (Debian's generic linux-image-amd64 has e1000 and rtl8139, the cloud kernel has neither)");
        }

        if (report.Addresses.Count == 0)
            throw new CheckFailedException($"network interfaces {string.Join(", ", report.Nics)} came up but none got an IPv4 address by DHCP");
    }
}
