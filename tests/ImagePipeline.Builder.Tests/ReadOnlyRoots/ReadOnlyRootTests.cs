using System.Text.RegularExpressions;
using ImagePipeline.Builder.Disk;
using ImagePipeline.Builder.Tests.Support;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Qemu;
using ImagePipeline.Validation.Running;

namespace ImagePipeline.Builder.Tests.ReadOnlyRoots;

/// <summary>
/// Debian images whose root is exactly the validated bytes: squashfs and erofs roots mounted
/// read-only, run-time state on tmpfs overlays, and dm-verity refusing a changed block.
/// </summary>
public sealed class ReadOnlyRootTests(DebianReadOnlyImages images) : IClassFixture<DebianReadOnlyImages>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public void Both_images_are_reproducible_and_the_verity_root_hash_is_in_the_manifest_and_on_the_command_line()
    {
        images.SquashfsObserver.Messages.ShouldContain(m => m.StartsWith("disk.raw identical on rebuild", StringComparison.Ordinal));
        images.ErofsObserver.Messages.ShouldContain(m => m.StartsWith("disk.raw identical on rebuild", StringComparison.Ordinal));

        var squashfs = images.Squashfs.Manifest;
        squashfs.Partitions.Select(p => (p.Name, p.Filesystem)).ShouldBe([("ESP", "vfat"), ("root", "squashfs"), ("var", "ext4")]);
        squashfs.Partitions[2].Type.ShouldBe(GptPartition.LinuxVariableData);
        squashfs.Partitions[2].Size.ShouldBe(256L << 20);
        squashfs.Kernel.CommandLine.ShouldContain("rootfstype=squashfs ro ");
        squashfs.Kernel.CommandLine.ShouldContain($"imagepipeline.var=PARTUUID={squashfs.Partitions[2].Uuid:D}");
        squashfs.Disk.VerityRootHash.ShouldBeNull();

        var erofs = images.Erofs.Manifest;
        erofs.Partitions.Select(p => (p.Name, p.Filesystem)).ShouldBe([("ESP", "vfat"), ("root", "erofs"), ("root-verity", "verity")]);
        erofs.Partitions[2].Type.ShouldBe(GptPartition.LinuxRootVerityX86X64);
        erofs.Disk.VerityRootHash.ShouldNotBeNull().Length.ShouldBe(64);
        erofs.Kernel.CommandLine.ShouldContain($"imagepipeline.verity={erofs.Disk.VerityRootHash} ");
        erofs.Kernel.CommandLine.ShouldContain($"imagepipeline.verity.data=PARTUUID={erofs.Partitions[1].Uuid:D}");
        erofs.Kernel.CommandLine.ShouldContain($"imagepipeline.verity.hash=PARTUUID={erofs.Partitions[2].Uuid:D}");
        erofs.Kernel.CommandLine.ShouldNotContain("imagepipeline.var=");
    }

    // Firmware changes only the boot loader, the root type only the initramfs: squashfs boots under
    // SeaBIOS here, erofs under OVMF through the validation harness below and under SeaBIOS in the
    // flipped-byte test. The overlays are one script for both roots; one reboot shows what a boot
    // wrote to /etc is gone and what it wrote to the /var partition is kept. Root cannot log in:
    // every command goes through the validation channel.
    [Fact]
    public async Task The_root_is_read_only_what_a_boot_writes_to_etc_is_gone_at_the_next_and_the_var_partition_keeps_its_writes()
    {
        var machine = QemuMachine.Create("bios-virtio").WithFirmware(Firmware.Bios);
        await using var vm = await QemuVm.StartAsync(machine, Path.Combine(images.Squashfs.Directory, "disk.qcow2"), cancellationToken: Ct);
        var login = new Regex("ro-squashfs login: ");
        await vm.WaitForConsoleTextAsync(login, BootTimeout, cancellationToken: Ct);

        (await vm.FailAsync("touch /usr/probe", cancellationToken: Ct)).ShouldContain("Read-only file system");
        vm.Channel.ShouldNotBeNull().IsOpen.ShouldBeTrue();
        vm.Console.Text.ShouldContain("validation channel open on /dev/vport");
        (await vm.SucceedAsync("passwd -S root", cancellationToken: Ct)).ShouldStartWith("root L ");
        var mounts = await vm.SucceedAsync("cat /proc/mounts", cancellationToken: Ct);
        mounts.ShouldMatch(@"(?m)^\S+ / squashfs ro[, ]");
        mounts.ShouldMatch(@"(?m)^imagepipeline-etc /etc overlay rw,.*upperdir=/run/imagepipeline/state/etc");
        mounts.ShouldMatch(@"(?m)^/dev/vda3 /var ext4 rw[, ]");
        vm.Console.Text.ShouldContain("/var on its own partition, kept across boots");
        (await vm.SucceedAsync("systemctl --failed --no-legend --plain", cancellationToken: Ct)).Trim().ShouldBeEmpty();
        await vm.SucceedAsync("echo changed > /etc/probe && echo kept > /var/probe && sync", cancellationToken: Ct);
        await vm.WaitForConsoleTextAsync(new Regex("root is verity-protected: no"), BootTimeout, cancellationToken: Ct);

        // The guest reboots; QEMU (-no-reboot) exits and powers on again on the same disk.
        await vm.RebootAsync(cancellationToken: Ct);
        var since = vm.Console.Position;
        await vm.PowerOnAsync(Ct);
        await vm.WaitForConsoleTextAsync(login, BootTimeout, since, cancellationToken: Ct);
        await vm.SucceedAsync("test ! -e /etc/probe", cancellationToken: Ct);
        (await vm.SucceedAsync("cat /var/probe", cancellationToken: Ct)).ShouldBe("kept\n");
    }

    [Fact]
    public async Task A_command_check_passes_on_the_verity_image_whose_root_stays_locked()
    {
        var plan = ValidationPlan.FromSection(DebianReadOnlyImages.RecipeFor("erofs", verity: true).Validate?.Node);

        var report = await ValidationRunner.RunAsync(images.Erofs.Directory, plan, cancellationToken: Ct);

        var profile = report.Profiles.ShouldHaveSingleItem();
        profile.Profile.ShouldBe("uefi-virtio");
        profile.Checks.ShouldAllBe(c => c.Outcome == CheckResult.Pass, string.Join("\n", profile.Checks.Select(c => $"{c.Check}: {c.Outcome} {c.Reason}")));
        profile.Checks.Count(c => c.Check.StartsWith("command", StringComparison.Ordinal)).ShouldBe(6);
        var console = await File.ReadAllTextAsync(Path.Combine(images.Erofs.Directory, ValidationRunner.ReportDirectory, "uefi-virtio.serial.log"), Ct);
        console.ShouldContain("validation channel open on /dev/vport");
    }

    [Fact]
    public async Task A_flipped_byte_in_the_verity_root_is_refused_by_the_kernel_and_reported_by_the_agent_with_the_block()
    {
        var manifest = images.Erofs.Manifest;
        var root = manifest.Partitions[1];
        var scratch = Directory.CreateTempSubdirectory("imagepipe-verity-flip-").FullName;
        try
        {
            var raw = Path.Combine(scratch, "disk.raw");
            File.Copy(Path.Combine(images.Erofs.Directory, "disk.raw"), raw);
            File.SetAttributes(raw, FileAttributes.Normal);
            long block;
            long flipAt;
            await using (var disk = new FileStream(raw, FileMode.Open, FileAccess.ReadWrite))
            {
                // Half way into the erofs image (its superblock at 1 KiB counts its 4 KiB blocks at
                // byte 36): file data that nothing reads at boot before the agent's check.
                var blocks = new byte[4];
                disk.Position = root.Offset + 1024 + 36;
                disk.ReadExactly(blocks);
                block = BitConverter.ToUInt32(blocks) / 2;
                flipAt = root.Offset + block * 4096 + 123;
                disk.Position = flipAt;
                var original = disk.ReadByte();
                disk.Position = flipAt;
                disk.WriteByte((byte)(original ^ 0x01));
            }

            var qcow2 = Path.Combine(scratch, "disk.qcow2");
            await Processes.RunAsync("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, qcow2]);
            // As a physical machine boots it: without the validation channel.
            await using var vm = await QemuVm.StartAsync(QemuMachine.Create("bios-virtio").WithFirmware(Firmware.Bios), qcow2, validationChannel: false, cancellationToken: Ct);

            var report = await vm.WaitForConsoleTextAsync(new Regex(@"root is verity-protected: yes; FAILED: dm-verity refused block (\d+)[^\r\n]*\r?\n"), BootTimeout, cancellationToken: Ct);
            long.Parse(report.Groups[1].Value).ShouldBe(block);
            report.Value.ShouldContain("kernel:");
            report.Value.ShouldContain("is corrupted");
            // The channel's unit is started by its port alone: without one, nothing in the image listens.
            vm.Channel.ShouldBeNull();
            vm.Console.Text.ShouldNotContain("validation channel");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
