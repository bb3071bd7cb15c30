using CliWrap.Buffered;
using ImagePipeline.Builder.Installer;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Tests.Installer;

/// <summary>What a deploy-time install is told: the same configuration the builder puts into the image.</summary>
public sealed class InstallPreseedTests
{
    private const string Recipe = """
        name: web
        base: debian:bookworm
        kernel: linux-image-amd64
        packages: [nginx-light]
        cmdline: "quiet imagepipeline.note=it's"
        files:
          - path: /etc/motd
            content: "web: an example\n"
        commands:
          - systemctl enable nginx
          - |
            echo one > /etc/two-lines
            echo two >> /etc/two-lines
        disk: { size: 1GiB, root: ext4, esp: 128MiB }
        boot: [bios]
        validate:
          profiles: [bios-virtio]
          checks:
            - http: { port: 80, path: /, status: 200, body: "web" }
        """;

    [Fact]
    public async Task The_preseed_carries_the_package_set_layout_configuration_agent_and_commands()
    {
        using var scratch = new InstallerContext(RecipeParser.Parse(Recipe, "web.yaml"));
        var agent = Path.Combine(scratch.Directory, "agent");
        await File.WriteAllTextAsync(agent, "#!/bin/sh\necho agent\n", TestContext.Current.CancellationToken);
        var output = Directory.CreateDirectory(Path.Combine(scratch.Directory, "files")).FullName;

        var preseed = await InstallPreseed.WriteAsync(scratch.Context, ["base-files", "nginx-light"], "0123abcd", agent, output);

        preseed.ShouldBe(Path.Combine(output, InstallPreseed.FileName));
        Directory.GetFileSystemEntries(output).ShouldBe([preseed]);
        var unpacked = Directory.CreateDirectory(Path.Combine(scratch.Directory, "unpacked")).FullName;
        await Run("tar", "-xf", preseed, "-C", unpacked);

        // The installer sources preseed.env with sh: read it back the same way.
        var environment = await Run("sh", "-c", $". '{unpacked}/preseed.env'; printf '%s|%s|%s|%s|%s|%s\\n' \"$PACKAGES\" \"$ESP_SECTORS\" \"$BIOS\" \"$UEFI\" \"$UNITS\" \"$CMDLINE\"");
        var values = environment.TrimEnd('\n').Split('|');
        values[0].ShouldBe("base-files,nginx-light");
        values[1].ShouldBe((128 * 1024 * 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
        values[2].ShouldBe("yes");
        values[3].ShouldBe("no");
        values[4].ShouldBe("systemd-networkd.service imagepipeline-boot-report.service imagepipeline-report.service");
        values[5].ShouldStartWith($"root=PARTUUID={InstallPreseed.RootPartuuidPlaceholder} rootfstype=ext4 rw ");
        values[5].ShouldEndWith("quiet imagepipeline.note=it's");

        var overlay = await Run("tar", "-tvf", Path.Combine(unpacked, "overlay.tar"));
        foreach (var path in new[] { "./etc/motd", "./etc/hostname", "./usr/lib/imagepipeline/imagepipe-agent", "./etc/imagepipeline/health-checks.json",
                     "./etc/systemd/system/imagepipeline-report.service", "./etc/systemd/network/80-imagepipeline-wired.network", "./usr/lib/imagepipeline/boot-report" })
            overlay.ShouldContain(path);
        // Recipes read the identity (debian-web's start page names it): the same inputs, installed instead of imaged.
        using var identity = System.Text.Json.JsonDocument.Parse(await Run("tar", "-xOf", Path.Combine(unpacked, "overlay.tar"), "./etc/imagepipeline/image.json"));
        identity.RootElement.GetProperty("inputDigest").GetString().ShouldBe("0123abcd");
        identity.RootElement.GetProperty("name").GetString().ShouldBe("web");
        overlay.Split('\n').ShouldAllBe(line => line.Length == 0 || line.Contains(" 0/0 ", StringComparison.Ordinal));
        (await Run("tar", "-xOf", Path.Combine(unpacked, "overlay.tar"), "./etc/hostname")).ShouldBe("web\n");

        Directory.GetFiles(Path.Combine(unpacked, "commands")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ShouldBe(["001", "002"]);
        (await File.ReadAllTextAsync(Path.Combine(unpacked, "commands", "002"), TestContext.Current.CancellationToken)).ShouldBe("echo one > /etc/two-lines\necho two >> /etc/two-lines\n");
    }

    [Fact]
    public async Task Only_a_Debian_system_is_installed_at_deploy_time()
    {
        using var scratch = new InstallerContext(RecipeParser.Parse("name: tiny\nbase: busybox\n", "tiny.yaml"));
        var output = Directory.CreateDirectory(Path.Combine(scratch.Directory, "files")).FullName;

        var refused = await Should.ThrowAsync<Builder.Tools.BuildStepException>(() => InstallPreseed.WriteAsync(scratch.Context, ["base-files"], "0123abcd", null, output));

        refused.Message.ShouldContain("a deploy-time install makes a Debian system on ext4");
        refused.Message.ShouldContain("busybox");
        Directory.GetFileSystemEntries(output).ShouldBeEmpty();
    }

    private static async Task<string> Run(string program, params string[] arguments)
    {
        var result = await CliWrap.Cli.Wrap(program).WithArguments(arguments).WithValidation(CliWrap.CommandResultValidation.None)
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        result.ExitCode.ShouldBe(0, $"{program}: {result.StandardError}");
        return result.StandardOutput;
    }
}
