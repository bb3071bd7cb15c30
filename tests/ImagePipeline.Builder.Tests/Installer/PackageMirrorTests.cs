using CliWrap.Buffered;
using ImagePipeline.Builder.Installer;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Tests.Installer;

/// <summary>The deploy-time installer's local mirror: a flat repository that real apt accepts, resolves and verifies.</summary>
public sealed class PackageMirrorTests
{
    [Fact]
    public async Task Apt_reads_the_index_resolves_dependencies_and_verifies_the_downloaded_package()
    {
        using var scratch = new InstallerContext(RecipeParser.Parse("name: web\nbase: debian:bookworm\nkernel: linux-image-amd64\n", "web.yaml"));
        var mirror = Directory.CreateDirectory(Path.Combine(scratch.Directory, "mirror")).FullName;
        await MakePackageAsync(scratch.Directory, mirror, "imagepipe-test-a", "");
        await MakePackageAsync(scratch.Directory, mirror, "imagepipe-test-b", "Depends: imagepipe-test-a\n");

        await PackageMirror.WriteIndexAsync(scratch.Context, mirror);

        (await File.ReadAllLinesAsync(Path.Combine(mirror, PackageMirror.PackageNamesFile), TestContext.Current.CancellationToken))
            .Where(l => l.Length > 0).ShouldBe(["imagepipe-test-a", "imagepipe-test-b"]);
        var apt = Directory.CreateDirectory(Path.Combine(scratch.Directory, "apt")).FullName;
        foreach (var dir in new[] { "state/lists/partial", "cache/archives/partial", "parts", "download" })
            Directory.CreateDirectory(Path.Combine(apt, dir));
        await File.WriteAllTextAsync(Path.Combine(apt, "sources.list"), $"deb [trusted=yes] file:{mirror} ./\n", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(apt, "status"), "", TestContext.Current.CancellationToken);
        string[] options =
        [
            "-o", $"Dir::State={apt}/state", "-o", $"Dir::State::status={apt}/status", "-o", $"Dir::Cache={apt}/cache",
            "-o", $"Dir::Etc::SourceList={apt}/sources.list", "-o", $"Dir::Etc::SourceParts={apt}/parts", "-o", "Debug::NoLocking=1", "-o", "APT::Architecture=amd64",
        ];

        await RunAsync("apt-get", [.. options, "update"], apt);
        (await RunAsync("apt-cache", [.. options, "depends", "imagepipe-test-b"], apt)).ShouldContain("Depends: imagepipe-test-a");
        // apt checks a download against the index's size and SHA-256.
        await RunAsync("apt-get", [.. options, "download", "imagepipe-test-b"], Path.Combine(apt, "download"));
        var downloaded = Directory.GetFiles(Path.Combine(apt, "download"), "*.deb").ShouldHaveSingleItem();
        (await File.ReadAllBytesAsync(downloaded, TestContext.Current.CancellationToken))
            .ShouldBe(await File.ReadAllBytesAsync(Path.Combine(mirror, "imagepipe-test-b_1.0_all.deb"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_busybox_recipe_has_no_package_set_to_mirror()
    {
        using var scratch = new InstallerContext(RecipeParser.Parse("name: tiny\nbase: busybox\n", "tiny.yaml"));

        var refused = await Should.ThrowAsync<Builder.Tools.BuildStepException>(() => PackageMirror.EnsureAsync(scratch.Context));

        refused.Message.ShouldContain("needs a Debian base");
        Directory.Exists(Path.Combine(scratch.Directory, "cache", PackageMirror.Stage)).ShouldBeFalse();
    }

    private static async Task MakePackageAsync(string scratch, string mirror, string name, string extraControl)
    {
        var tree = Path.Combine(scratch, name);
        Directory.CreateDirectory(Path.Combine(tree, "DEBIAN"));
        Directory.CreateDirectory(Path.Combine(tree, "usr/share", name));
        await File.WriteAllTextAsync(Path.Combine(tree, "usr/share", name, "hello"), $"{name}\n");
        await File.WriteAllTextAsync(Path.Combine(tree, "DEBIAN/control"),
            $"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: ImagePipeline <test@example.org>\n{extraControl}Description: a test package\n");
        await RunAsync("dpkg-deb", ["--root-owner-group", "--build", tree, Path.Combine(mirror, $"{name}_1.0_all.deb")], scratch);
    }

    private static async Task<string> RunAsync(string program, string[] arguments, string workingDirectory)
    {
        var result = await CliWrap.Cli.Wrap(program).WithArguments(arguments).WithWorkingDirectory(workingDirectory)
            .WithValidation(CliWrap.CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        result.ExitCode.ShouldBe(0, $"{program} {string.Join(' ', arguments)}: {result.StandardError}");
        return result.StandardOutput;
    }
}
