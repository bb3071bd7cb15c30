using ImagePipeline.Recipes;

namespace ImagePipeline.Recipes.Tests;

public sealed class RecipeParserTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("recipe-tests-");

    public void Dispose() => dir.Delete(recursive: true);

    private string Write(string yaml, string name = "recipe.yaml")
    {
        var path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private IReadOnlyList<RecipeError> LintErrors(string yaml) =>
        Should.Throw<RecipeLintException>(() => RecipeParser.Load(Write(yaml))).Errors;

    [Fact]
    public void A_complete_recipe_is_read_with_every_field()
    {
        File.WriteAllText(Path.Combine(dir.FullName, "check.sh"), "#!/bin/sh\nexit 0\n");
        var recipe = RecipeParser.Load(Write("""
            name: web
            base: debian:bookworm
            kernel: linux-image-amd64
            packages: [nginx, openssh-server]
            files:
              - path: /etc/motd
                content: "hello\n"
              - path: /usr/local/bin/check
                source: check.sh
                mode: "0755"
            commands:
              - systemctl enable nginx
            cmdline: "quiet"
            disk: { size: 2GiB, root: ext4, esp: 256MiB, grow: true }
            boot: [bios]
            snapshot: 20250520T000000Z
            validate: { profiles: [uefi-virtio] }
            rollout: { canary: 1 }
            """));

        recipe.Name.ShouldBe("web");
        recipe.Base.ShouldBe(new ImageBase(BaseKind.Debian, "bookworm"));
        recipe.Kernel.ShouldBe("linux-image-amd64");
        recipe.Packages.ShouldBe(["nginx", "openssh-server"]);
        recipe.Files.Count.ShouldBe(2);
        recipe.Files[0].ReadBytes().ShouldBe("hello\n"u8.ToArray());
        recipe.Files[1].Mode.ShouldBe(0b111_101_101);
        recipe.Files[1].SourcePath.ShouldBe(Path.Combine(dir.FullName, "check.sh"));
        recipe.Commands.ShouldBe(["systemctl enable nginx"]);
        recipe.Cmdline.ShouldBe("quiet");
        recipe.Disk.ShouldBe(new DiskSpec(2L << 30, RootFilesystem.Ext4, 256L << 20, true));
        recipe.Boot.ShouldBe([BootMode.Bios]);
        recipe.Snapshot.ShouldBe("20250520T000000Z");
        recipe.Validate.ShouldNotBeNull();
        recipe.Rollout.ShouldNotBeNull();
        recipe.SourceDigest.Length.ShouldBe(64);
    }

    [Fact]
    public void Defaults_follow_the_base()
    {
        var tiny = RecipeParser.Load(Write("name: tiny\nbase: busybox\n"));
        tiny.Kernel.ShouldBe("linux-image-amd64");
        tiny.Boot.ShouldBe([BootMode.Uefi, BootMode.Bios]);
        tiny.Disk.Root.ShouldBe(RootFilesystem.Ext4);

        RecipeParser.Load(Write("name: d\nbase: debian:bookworm\n")).Kernel.ShouldBe("linux-image-amd64");
    }

    [Fact]
    public void An_unknown_field_is_reported_at_its_line_and_column_with_the_nearest_known_field()
    {
        var errors = LintErrors("name: web\nbase: busybox\npakages: [nginx]\n");

        var error = errors.ShouldHaveSingleItem();
        (error.Line, error.Column).ShouldBe((3, 1));
        error.Message.ShouldContain("unknown field 'pakages'");
        error.Message.ShouldContain("did you mean 'packages'?");
        error.ToString().ShouldStartWith(Path.Combine(dir.FullName, "recipe.yaml") + ":3:1: error:");
    }

    [Fact]
    public void A_recipe_too_large_or_nested_too_deep_is_refused_before_it_is_parsed_into_a_tree()
    {
        var large = LintErrors("name: web\nbase: busybox\ncmdline: \"" + new string('x', RecipeParser.MaxBytes) + "\"\n");
        var deep = LintErrors("name: web\nbase: busybox\npackages: " + new string('[', 100_000) + new string(']', 100_000) + "\n");

        large.ShouldHaveSingleItem().Message.ShouldContain($"at most {RecipeParser.MaxBytes} are read");
        var nested = deep.ShouldHaveSingleItem();
        nested.Message.ShouldContain($"nested deeper than {RecipeParser.MaxDepth}");
        nested.Line.ShouldBe(3);
    }

    [Fact]
    public void Export_formats_are_read_once_each_and_unknown_or_always_made_ones_are_errors()
    {
        RecipeParser.Load(Write("name: web\nbase: busybox\nformats: [vhd, vmdk, vhd, vhdx]\n")).Formats.ShouldBe([ExportFormat.Vhd, ExportFormat.Vmdk, ExportFormat.Vhdx]);
        RecipeParser.Load(Write("name: web\nbase: busybox\n")).Formats.ShouldBeEmpty();

        var errors = LintErrors("name: web\nbase: busybox\nformats: [ova, qcow2, VHD]\n");

        errors.Count.ShouldBe(3);
        errors[0].Message.ShouldBe("format 'ova' is unknown: use vhdx, vmdk or vhd");
        errors[1].Message.ShouldContain("'qcow2' is always made");
        errors[2].Message.ShouldContain("'VHD' is unknown");
        errors.ShouldAllBe(e => e.Line == 3);
    }

    [Fact]
    public void A_wrong_type_names_what_was_expected()
    {
        var errors = LintErrors("name: web\nbase: busybox\npackages: nginx\ndisk: 2GiB\n");

        errors.Count.ShouldBe(2);
        errors[0].Line.ShouldBe(3);
        errors[0].Message.ShouldContain("'packages' must be a list");
        errors[1].Line.ShouldBe(4);
        errors[1].Message.ShouldContain("'disk' must be a mapping");
    }

    [Fact]
    public void A_missing_source_file_is_reported_with_the_path_searched()
    {
        var errors = LintErrors("name: web\nbase: busybox\nfiles:\n  - path: /etc/x\n    source: files/nope.sh\n");

        var error = errors.ShouldHaveSingleItem();
        (error.Line, error.Column).ShouldBe((5, 13));
        error.Message.ShouldContain("does not exist");
        error.Message.ShouldContain(Path.Combine(dir.FullName, "files", "nope.sh"));
    }

    [Theory]
    [InlineData("disk: { size: 20MiB }", "cannot hold the partition table")]
    [InlineData("disk: { size: 10TiB }", "larger than")]
    [InlineData("disk: { size: lots }", "is not a size")]
    [InlineData("disk: { size: 1000000 }", "not a whole number of MiB")]
    [InlineData("disk: { esp: 16MiB }", "ESP must be at least")]
    [InlineData("disk: { root: btrfs }", "'squashfs' or 'erofs' for a read-only root")]
    public void An_impossible_disk_is_refused_with_the_fix(string disk, string expected)
    {
        var error = LintErrors($"name: web\nbase: busybox\n{disk}\n").ShouldHaveSingleItem();
        error.Line.ShouldBe(3);
        error.Message.ShouldContain(expected);
    }

    [Theory]
    [InlineData("Web")]
    [InlineData("web_server")]
    [InlineData("-web")]
    [InlineData("a-name-that-is-far-too-long-for-a-hostname-and-goes-on-and-on-and-on")]
    public void A_bad_name_is_refused(string name)
    {
        var error = LintErrors($"name: {name}\nbase: busybox\n").ShouldHaveSingleItem();
        (error.Line, error.Column).ShouldBe((1, 7));
        error.Message.ShouldContain("a-z, 0-9 and '-'");
    }

    [Theory]
    [InlineData("path: etc/motd\n    content: x", "must be absolute")]
    [InlineData("path: /etc/../shadow\n    content: x", "without '..'")]
    [InlineData("path: /etc/motd", "exactly one of 'content:'")]
    [InlineData("path: /etc/motd\n    content: x\n    mode: rwx", "not an octal file mode")]
    public void A_bad_files_entry_is_refused(string entry, string expected)
    {
        var error = LintErrors($"name: web\nbase: busybox\nfiles:\n  - {entry}\n").ShouldHaveSingleItem();
        error.Message.ShouldContain(expected);
    }

    [Fact]
    public void Read_only_roots_are_accepted_for_debian_and_verity_needs_one()
    {
        RecipeParser.Load(Write("name: t\nbase: busybox\ndisk: { root: squashfs }\n")).Disk.Root.ShouldBe(RootFilesystem.Squashfs);
        var erofs = RecipeParser.Load(Write("name: t\nbase: debian:bookworm\ndisk: { root: erofs, verity: true }\n")).Disk;
        (erofs.Root, erofs.Verity, erofs.ReadOnlyRoot).ShouldBe((RootFilesystem.Erofs, true, true));
        RecipeParser.Load(Write("name: t\nbase: debian:bookworm\ndisk: { root: squashfs }\n")).Disk.Verity.ShouldBeFalse();

        LintErrors("name: t\nbase: debian:bookworm\ndisk: { verity: true }\n").ShouldHaveSingleItem().Message.ShouldContain("verity: true needs a read-only root");
        LintErrors("name: t\nbase: debian:bookworm\ndisk: { root: erofs, grow: true }\n").ShouldHaveSingleItem().Message.ShouldContain("grow: true needs root: ext4");
        var busybox = LintErrors("name: t\nbase: busybox\ndisk: { root: squashfs, verity: true }\n").ShouldHaveSingleItem();
        busybox.Line.ShouldBe(3);
        busybox.Message.ShouldContain("verity: true needs a debian base");
        LintErrors("name: t\nbase: busybox\ndisk: { root: erofs }\n").ShouldHaveSingleItem().Message.ShouldContain("root: erofs needs a debian base");
    }

    [Fact]
    public void Var_is_a_tmpfs_overlay_or_a_partition_of_its_own_under_a_read_only_root()
    {
        var partition = RecipeParser.Load(Write("name: t\nbase: debian:bookworm\ndisk: { root: squashfs, var: 256MiB }\n")).Disk;
        (partition.VarPartition, partition.VarSizeBytes).ShouldBe((true, 256L << 20));
        RecipeParser.Load(Write("name: t\nbase: debian:bookworm\ndisk: { root: erofs, var: tmpfs }\n")).Disk.VarPartition.ShouldBeFalse();
        RecipeParser.Load(Write("name: t\nbase: debian:bookworm\ndisk: { root: erofs }\n")).Disk.VarPartition.ShouldBeFalse();

        LintErrors("name: t\nbase: debian:bookworm\ndisk: { var: 256MiB }\n").ShouldHaveSingleItem().Message.ShouldContain("var: needs a read-only root");
        LintErrors("name: t\nbase: debian:bookworm\ndisk: { root: squashfs, var: 1MiB }\n").ShouldHaveSingleItem().Message.ShouldContain("at least 16MiB");
        LintErrors("name: t\nbase: busybox\ndisk: { root: squashfs, var: 64MiB }\n").ShouldHaveSingleItem().Message.ShouldContain("a var: partition needs a debian base");
        LintErrors("name: t\nbase: debian:bookworm\ndisk: { size: 200MiB, root: squashfs, var: 100MiB }\n").ShouldHaveSingleItem().Message.ShouldContain("a 100MiB /var");
    }

    [Fact]
    public void Ab_slots_are_asked_for_by_name_and_refused_beside_verity_or_grow()
    {
        var slotted = RecipeParser.Load(Write("name: t\nbase: busybox\ndisk: { size: 512MiB, slots: ab }\n")).Disk;
        (slotted.AbSlots, slotted.RootSlots).ShouldBe((true, 2));
        RecipeParser.Load(Write("name: t\nbase: busybox\ndisk: { slots: single }\n")).Disk.AbSlots.ShouldBeFalse();
        RecipeParser.Load(Write("name: t\nbase: debian:bookworm\ndisk: { root: squashfs, var: 64MiB, slots: ab }\n")).Disk.AbSlots.ShouldBeTrue();

        LintErrors("name: t\nbase: busybox\ndisk: { slots: abc }\n").ShouldHaveSingleItem().Message.ShouldContain("use 'ab'");
        LintErrors("name: t\nbase: debian:bookworm\ndisk: { root: erofs, verity: true, slots: ab }\n").ShouldHaveSingleItem().Message.ShouldContain("does not work with verity: true yet");
        LintErrors("name: t\nbase: busybox\ndisk: { grow: true, slots: ab }\n").ShouldHaveSingleItem().Message.ShouldContain("cannot grow: true");
        LintErrors("name: t\nbase: busybox\ndisk: { size: 160MiB, esp: 128MiB, slots: ab }\n").ShouldHaveSingleItem().Message.ShouldContain("two root slots");
    }

    [Fact]
    public void Every_error_is_reported_in_one_round()
    {
        var errors = LintErrors("name: Web\nbase: fedora\nboot: [efi]\ncolour: blue\n");

        errors.Select(e => e.Line).Order().ShouldBe([1, 2, 3, 4]);
    }

    [Fact]
    public void Broken_yaml_is_reported_at_its_position()
    {
        var error = LintErrors("name: web\nbase: [busybox\n").ShouldHaveSingleItem();
        error.Message.ShouldContain("not valid YAML");
        error.Line.ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public void A_missing_recipe_file_says_so()
    {
        var error = Should.Throw<RecipeLintException>(() => RecipeParser.Load(Path.Combine(dir.FullName, "absent.yaml"))).Errors.ShouldHaveSingleItem();
        error.Message.ShouldContain("recipe file not found");
    }

    [Theory]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("1GB", 1_000_000_000L)]
    [InlineData("4096", 4096L)]
    [InlineData("1.5GiB", 3L << 29)]
    public void Sizes_are_read_as_operators_write_them(string text, long bytes)
    {
        ByteSize.TryParse(text, out var parsed).ShouldBeTrue();
        parsed.ShouldBe(bytes);
    }

    [Fact]
    public void The_shipped_examples_lint_clean()
    {
        var examples = Path.Combine(RepositoryLayout.Root, "recipes", "examples");
        var files = Directory.GetFiles(examples, "*.yaml");
        files.Length.ShouldBeGreaterThanOrEqualTo(2);
        foreach (var file in files)
            Should.NotThrow(() => RecipeParser.Load(file), file);
    }
}
