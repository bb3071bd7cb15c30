using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Checks;

/// <summary>Built in, run last: no kernel panic, oops or call trace anywhere on the console.</summary>
public sealed record KernelHealthCheck() : ValidationCheck("kernel-healthy", TimeSpan.Zero)
{
    public override Task RunAsync(QemuVm vm, CheckContext context, CancellationToken cancellationToken)
    {
        var lines = vm.Console.Text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var trouble = lines.Where(l => QemuVm.KernelTrouble.IsMatch(l)).Take(10).ToList();
        return trouble.Count == 0
            ? Task.CompletedTask
            : throw new CheckFailedException($"the kernel reported trouble on the console:\n{string.Join('\n', trouble)}");
    }
}
