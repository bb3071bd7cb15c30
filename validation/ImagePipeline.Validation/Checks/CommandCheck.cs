using System.Text.RegularExpressions;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Checks;

/// <summary>Recipe check <c>command: "..."</c>: exits 0 in the guest, and its output matches <c>output:</c> when given.</summary>
public sealed record CommandCheck(string Command, Regex? Output, TimeSpan Timeout) : ValidationCheck($"command `{Command}`", Timeout)
{
    public override async Task RunAsync(QemuVm vm, CheckContext context, CancellationToken cancellationToken)
    {
        var output = await vm.SucceedAsync(Command, Timeout, cancellationToken);
        if (Output is not null && !Output.IsMatch(output))
            throw new CheckFailedException($"`{Command}` succeeded but its output does not match /{Output}/:\n{output}");
    }
}
