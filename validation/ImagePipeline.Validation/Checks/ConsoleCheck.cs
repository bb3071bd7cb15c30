using System.Text.RegularExpressions;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Checks;

/// <summary>Recipe check <c>console: REGEX</c>: the text appears on the serial console.</summary>
public sealed record ConsoleCheck(Regex Pattern, TimeSpan Timeout) : ValidationCheck($"console /{Pattern}/", Timeout)
{
    public override Task RunAsync(QemuVm vm, CheckContext context, CancellationToken cancellationToken) =>
        vm.WaitForConsoleTextAsync(Pattern, Timeout, cancellationToken: cancellationToken);
}
