using ImagePipeline.Agent.Protocol;
using ImagePipeline.Agent.Slots;

namespace ImagePipeline.Agent.Tests.Slots;

/// <summary>
/// The slots' side of an ESP, on a directory laid out as the builder lays a slotted ESP (slot A
/// installed, systemd-boot's entry for it, SYSLINUX with a real <c>ldlinux.sys</c> from the host's
/// installer): arming a trial, marking it good, taking a failed slot out. That the firmware's boot
/// loaders then boot what these files say is InPlaceUpdateTests' part, in QEMU.
/// </summary>
public sealed class SlotBootLoadersTests : IDisposable
{
    private readonly string esp = Directory.CreateTempSubdirectory("imagepipe-esp-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(esp, recursive: true);

    [Fact]
    public async Task A_trial_is_armed_in_both_boot_loaders_and_marking_it_good_makes_it_the_default()
    {
        var loaders = await TrialOfBArmedAsync();

        Entries().ShouldBe(["imagepipeline-1-a.conf", "imagepipeline-2-b+1.conf"]);
        var config = await File.ReadAllTextAsync(Path.Combine(esp, "syslinux.cfg"), Ct);
        config.ShouldContain("DEFAULT a\n");
        config.ShouldContain("LABEL b\n  LINUX /b/vmlinuz\n  INITRD /b/initrd.img\n  APPEND root=PARTUUID=2 imagepipeline.slot=b\n");
        SyslinuxBootOnce.Read(Path.Combine(esp, SyslinuxBootOnce.LoaderFile)).ShouldBe("b");
        loaders.UnconfirmedTrial().ShouldBe("b");
        (await File.ReadAllTextAsync(Path.Combine(esp, "b", "vmlinuz"), Ct)).ShouldBe("kernel of b");

        loaders.MarkGood("b");

        Entries().ShouldBe(["imagepipeline-1-a.conf", "imagepipeline-2-b.conf"]);
        (await File.ReadAllTextAsync(Path.Combine(esp, "syslinux.cfg"), Ct)).ShouldContain("DEFAULT b\n");
        SyslinuxBootOnce.Read(Path.Combine(esp, SyslinuxBootOnce.LoaderFile)).ShouldBeNull();
        loaders.UnconfirmedTrial().ShouldBeNull();
        Directory.EnumerateFiles(esp, "*.new", SearchOption.AllDirectories).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_slot_taken_out_leaves_no_entry_label_file_or_boot_once_behind()
    {
        var loaders = await TrialOfBArmedAsync();
        // systemd-boot counted the try down before booting it; the trial failed.
        File.Move(Path.Combine(esp, "loader/entries/imagepipeline-2-b+1.conf"), Path.Combine(esp, "loader/entries/imagepipeline-2-b+0-1.conf"));
        loaders.UnconfirmedTrial().ShouldBe("b");

        loaders.Remove("b", "a");

        Entries().ShouldBe(["imagepipeline-1-a.conf"]);
        Directory.Exists(Path.Combine(esp, "b")).ShouldBeFalse();
        var config = await File.ReadAllTextAsync(Path.Combine(esp, "syslinux.cfg"), Ct);
        config.ShouldContain("DEFAULT a\n");
        config.ShouldNotContain("LABEL b");
        SyslinuxBootOnce.Read(Path.Combine(esp, SyslinuxBootOnce.LoaderFile)).ShouldBeNull();
        loaders.UnconfirmedTrial().ShouldBeNull();
    }

    [Fact]
    public async Task The_boot_once_label_keeps_other_items_of_the_auxiliary_data_vector_and_a_damaged_copy_is_not_read()
    {
        await BuiltEspAsync();
        var loader = Path.Combine(esp, SyslinuxBootOnce.LoaderFile);
        SyslinuxBootOnce.Read(loader).ShouldBeNull("the installer leaves an empty vector");
        SyslinuxBootOnce.Write(loader, "b");
        SyslinuxBootOnce.Read(loader).ShouldBe("b");

        var bytes = await File.ReadAllBytesAsync(loader, Ct);
        bytes.AsSpan(bytes.Length - 1024, 512).SequenceEqual(bytes.AsSpan(bytes.Length - 512, 512)).ShouldBeTrue("both copies are written");
        // Damage the first copy's data: its checksum no longer holds, the second copy is read.
        bytes[bytes.Length - 1024 + 12] ^= 0xff;
        await File.WriteAllBytesAsync(loader, bytes, Ct);
        SyslinuxBootOnce.Read(loader).ShouldBe("b");
        // Both damaged: no boot-once at all, rather than a wrong one.
        bytes[bytes.Length - 512 + 12] ^= 0xff;
        await File.WriteAllBytesAsync(loader, bytes, Ct);
        SyslinuxBootOnce.Read(loader).ShouldBeNull();

        Should.Throw<ArgumentException>(() => SyslinuxBootOnce.Write(loader, new string('x', 300)));
    }

    [Theory]
    [InlineData("imagepipeline-3-b+1.conf", 3, "b", 1, 0)]
    [InlineData("imagepipeline-3-b+0-1.conf", 3, "b", 0, 1)]
    [InlineData("imagepipeline-12-a.conf", 12, "a", null, 0)]
    public void Entry_file_names_carry_generation_slot_and_boot_counter(string name, int generation, string slot, int? left, int done)
    {
        SlotBoot.ParseEntryFileName(name).ShouldBe((generation, slot, left, done));
    }

    [Theory]
    [InlineData("tiny.conf")]
    [InlineData("imagepipeline-x-a.conf")]
    [InlineData("imagepipeline-1-c.conf")]
    [InlineData("imagepipeline-1-a+x.conf")]
    public void Other_entries_are_not_taken_for_a_slot(string name) => SlotBoot.ParseEntryFileName(name).ShouldBeNull();

    /// <summary>Slot B installed (kernel and initrd: "kernel of b") and armed for its trial, slot A the good one.</summary>
    private async Task<SlotBootLoaders> TrialOfBArmedAsync()
    {
        await BuiltEspAsync();
        var loaders = new SlotBootLoaders(esp);
        var kernel = Path.Combine(esp, "new-kernel");
        await File.WriteAllTextAsync(kernel, "kernel of b", Ct);
        loaders.Install("b", kernel, kernel, "root=PARTUUID=2 imagepipeline.slot=b");
        loaders.ArmTrial("b", "a", "next");
        return loaders;
    }

    private List<string> Entries() => [.. Directory.EnumerateFiles(Path.Combine(esp, "loader", "entries")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    /// <summary>The files of a slotted ESP as the builder writes them, with ldlinux.sys as SYSLINUX's installer leaves it.</summary>
    private async Task BuiltEspAsync()
    {
        Directory.CreateDirectory(Path.Combine(esp, "a"));
        Directory.CreateDirectory(Path.Combine(esp, "loader", "entries"));
        await File.WriteAllTextAsync(Path.Combine(esp, "a", "cmdline"), "root=PARTUUID=1 imagepipeline.slot=a\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(esp, "loader", "entries", SlotBoot.EntryFileName(1, "a")), SlotBoot.Entry("t", "a", "root=PARTUUID=1 imagepipeline.slot=a"), Ct);
        await File.WriteAllTextAsync(Path.Combine(esp, "syslinux.cfg"), SlotBoot.SyslinuxConfig("a", new Dictionary<string, string> { ["a"] = "root=PARTUUID=1 imagepipeline.slot=a" }), Ct);
        var fat = Path.Combine(esp, "fat.img");
        await CliWrap.Cli.Wrap("mkfs.vfat").WithArguments(["-C", fat, "40960"]).ExecuteAsync(Ct);
        await CliWrap.Cli.Wrap("syslinux").WithArguments(["--install", fat]).ExecuteAsync(Ct);
        await CliWrap.Cli.Wrap("mcopy").WithArguments(["-n", "-i", fat, "::/ldlinux.sys", Path.Combine(esp, SyslinuxBootOnce.LoaderFile)]).ExecuteAsync(Ct);
        File.Delete(fat);
    }
}
