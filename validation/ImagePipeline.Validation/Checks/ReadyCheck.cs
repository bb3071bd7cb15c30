using System.Text.RegularExpressions;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Checks;

/// <summary>Built in: the image reaches its ready marker — a login prompt, or the recipe's own regex.</summary>
public sealed record ReadyCheck(Regex Marker, TimeSpan Timeout) : ValidationCheck("ready", Timeout)
{
    public static readonly Regex LoginPrompt = new(@"login: ", RegexOptions.Compiled);

    public override Task RunAsync(QemuVm vm, CheckContext context, CancellationToken cancellationToken) =>
        vm.WaitForConsoleTextAsync(Marker, Timeout, cancellationToken: cancellationToken);
}
