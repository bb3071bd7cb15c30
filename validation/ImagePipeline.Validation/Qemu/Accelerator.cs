using System.Text.RegularExpressions;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Machines;

namespace ImagePipeline.Validation.Qemu;

/// <summary>
/// TCG unless KVM is proven to work: on some hosts /dev/kvm exists but guests hang. The probe
/// boots the image under KVM and waits a few seconds for the kernel's first console line; the
/// answer is remembered until the host reboots. <c>IMAGEPIPE_ACCEL=tcg|kvm</c> overrides it.
/// </summary>
public static class Accelerator
{
    public const string Tcg = "tcg";
    public const string Kvm = "kvm";
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    private static readonly Regex KernelStarted = new("Linux version", RegexOptions.Compiled);

    /// <summary>
    /// Without an image to probe with (a lab of blank machines): the override, else what an earlier
    /// probe on this host boot found, else TCG.
    /// </summary>
    public static string KnownOrTcg()
    {
        var forced = Environment.GetEnvironmentVariable("IMAGEPIPE_ACCEL");
        if (forced is Tcg or Kvm)
            return forced;
        var remembered = RememberedPath();
        return File.Exists(remembered) && File.ReadAllText(remembered).Trim() is Kvm ? Kvm : Tcg;
    }

    private static string RememberedPath()
    {
        var bootId = File.Exists("/proc/sys/kernel/random/boot_id") ? File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() : "unknown";
        return Path.Combine(Path.GetTempPath(), $"imagepipe-kvm-probe-{bootId}");
    }

    public static async Task<string> ChooseAsync(string imageQcow2, CancellationToken cancellationToken)
    {
        var forced = Environment.GetEnvironmentVariable("IMAGEPIPE_ACCEL");
        if (forced is Tcg or Kvm)
            return forced;
        if (!File.Exists("/dev/kvm"))
            return Tcg;

        var remembered = RememberedPath();
        if (File.Exists(remembered))
            return (await File.ReadAllTextAsync(remembered, cancellationToken)).Trim();

        var answer = Tcg;
        try
        {
            await using var probe = await QemuVm.StartAsync(QemuMachine.Create("kvm-probe"), imageQcow2, accelerator: Kvm, cancellationToken: cancellationToken);
            await probe.WaitForConsoleTextAsync(KernelStarted, ProbeTimeout, cancellationToken: cancellationToken);
            answer = Kvm;
        }
        catch (Exception e) when (e is CheckFailedException or HarnessException)
        {
            // No answer within the time, or QEMU refused KVM: emulate.
        }

        await File.WriteAllTextAsync(remembered, answer, cancellationToken);
        return answer;
    }
}
