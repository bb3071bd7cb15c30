using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Checks;

/// <summary>Recipe check <c>screenshot: true</c>: keeps a PNG of the VGA console as evidence.</summary>
public sealed record ScreenshotCheck() : ValidationCheck("screenshot", TimeSpan.FromSeconds(30))
{
    public override async Task RunAsync(QemuVm vm, CheckContext context, CancellationToken cancellationToken)
    {
        var path = System.IO.Path.Combine(context.EvidenceDirectory, $"{context.Profile}-{context.Screenshots.Count + 1}.png");
        await vm.ScreenshotAsync(path, cancellationToken);
        context.Screenshots.Add(System.IO.Path.GetFileName(path));
    }
}
