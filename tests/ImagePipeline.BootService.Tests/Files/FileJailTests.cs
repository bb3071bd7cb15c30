using ImagePipeline.BootService.Files;

namespace ImagePipeline.BootService.Tests.Files;

public sealed class FileJailTests : IDisposable
{
    private readonly DirectoryInfo outside = Directory.CreateTempSubdirectory("imagepipe-jail-");
    private readonly string root;

    public FileJailTests()
    {
        root = Path.Combine(outside.FullName, "root");
        Directory.CreateDirectory(Path.Combine(root, "deploy"));
        File.WriteAllText(Path.Combine(root, "deploy", "vmlinuz"), "kernel");
        File.WriteAllText(Path.Combine(outside.FullName, "secret"), "secret");
        File.CreateSymbolicLink(Path.Combine(root, "escape"), Path.Combine(outside.FullName, "secret"));
        Directory.CreateSymbolicLink(Path.Combine(root, "up"), outside.FullName);
        File.CreateSymbolicLink(Path.Combine(root, "kernel"), "deploy/vmlinuz");
    }

    [Theory]
    [InlineData("deploy/vmlinuz")]
    [InlineData("deploy//vmlinuz")]
    [InlineData("kernel")]
    public void Files_inside_the_root_are_found(string request)
    {
        var lookup = new FileJail(root).Resolve(request);

        lookup.IsRefused.ShouldBeFalse();
        File.ReadAllText(lookup.File!.FullName).ShouldBe("kernel");
    }

    [Theory]
    [InlineData("../secret", "'..'")]
    [InlineData("deploy/../../secret", "'..'")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("..\\secret", "backslash")]
    [InlineData("escape", "symlink")]
    [InlineData("up/secret", "symlink")]
    public void Paths_that_lead_outside_the_root_are_refused_with_the_reason(string request, string reason)
    {
        var lookup = new FileJail(root).Resolve(request);

        lookup.IsRefused.ShouldBeTrue();
        lookup.Refusal!.ShouldContain(reason);
        lookup.File.ShouldBeNull();
    }

    [Fact]
    public void A_missing_file_is_missing_not_refused()
    {
        var lookup = new FileJail(root).Resolve("deploy/initrd.img");

        lookup.IsRefused.ShouldBeFalse();
        lookup.File.ShouldBeNull();
    }

    public void Dispose() => outside.Delete(recursive: true);
}
