using System.Text.RegularExpressions;
using ImagePipeline.Builder.Disk;
using ImagePipeline.Builder.Tests.Support;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Qemu;

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
    public void The_verity_image_is_reproducible_and_its_root_hash_is_in_the_manifest_and_on_the_command_line()
    {
        images.ErofsObserver.Messages.ShouldContain(m => m.StartsWith("disk.raw identical on rebuild", StringComparison.Ordinal));

        var squashfs = images.Squashfs.Manifest;
        squashfs.Partitions.Select(p => p.Filesystem).ShouldBe(["vfat", "squashfs"]);
        squashfs.Kernel.CommandLine.ShouldContain("rootfstype=squashfs ro ");
        squashfs.Disk.VerityRootHash.ShouldBeNull();

        var erofs = images.Erofs.Manifest;
        erofs.Partitions.Select(p => (p.Name, p.Filesystem)).ShouldBe([("ESP", "vfat"), ("root", "erofs"), ("root-verity", "verity")]);
        erofs.Partitions[2].Type.ShouldBe(GptPartition.LinuxRootVerityX86X64);
        erofs.Disk.VerityRootHash.ShouldNotBeNull().Length.ShouldBe(64);
        erofs.Kernel.CommandLine.ShouldContain($"imagepipeline.verity={erofs.Disk.VerityRootHash} ");
        erofs.Kernel.CommandLine.ShouldContain($"imagepipeline.verity.data=PARTUUID={erofs.Partitions[1].Uuid:D}");
        erofs.Kernel.CommandLine.ShouldContain($"imagepipeline.verity.hash=PARTUUID={erofs.Partitions[2].Uuid:D}");
    }

    // Firmware changes only the boot loader, the root type only the initramfs: squashfs boots under
    // SeaBIOS here, erofs under OVMF here and under SeaBIOS in the flipped-byte test. The overlays
    // are one script for both roots; one reboot shows what a boot wrote is gone.
    [Theory]
    [InlineData("squashfs", Firmware.Bios, true)]
    [InlineData("erofs", Firmware.Uefi, false)]
    public async Task The_root_is_read_only_and_what_a_boot_writes_to_etc_is_gone_at_the_next(string root, Firmware firmware, bool reboot)
    {
        var image = images.Image(root);
        var machine = QemuMachine.Create($"{firmware}-virtio".ToLowerInvariant()).WithFirmware(firmware);
        await using var vm = await QemuVm.StartAsync(machine, Path.Combine(image.Directory, "disk.qcow2"), cancellationToken: Ct);
        var login = new Regex($"ro-{root} login: ");
        await vm.WaitForConsoleTextAsync(login, BootTimeout, cancellationToken: Ct);

        (await vm.FailAsync("touch /usr/probe", cancellationToken: Ct)).ShouldContain("Read-only file system");
        var mounts = await vm.SucceedAsync("cat /proc/mounts", cancellationToken: Ct);
        mounts.ShouldMatch($@"(?m)^\S+ / {root} ro[, ]");
        mounts.ShouldMatch(@"(?m)^imagepipeline-etc /etc overlay rw,.*upperdir=/run/imagepipeline/state/etc");
        (await vm.SucceedAsync("systemctl --failed --no-legend --plain", cancellationToken: Ct)).Trim().ShouldBeEmpty();
        await vm.SucceedAsync("echo changed > /etc/probe && sync", cancellationToken: Ct);
        if (root == "erofs")
        {
            (await vm.SucceedAsync("dmsetup status imagepipeline-root", cancellationToken: Ct)).ShouldContain(" verity V");
            await vm.WaitForConsoleTextAsync(new Regex("root is verity-protected: yes; every block verified"), BootTimeout, cancellationToken: Ct);
        }
        else
        {
            await vm.WaitForConsoleTextAsync(new Regex("root is verity-protected: no"), BootTimeout, cancellationToken: Ct);
        }

        if (!reboot)
            return;
        // The guest reboots; QEMU (-no-reboot) exits and powers on again on the same disk.
        await vm.Console.WriteAsync("systemctl reboot\n", Ct);
        await vm.WaitForExitAsync(Ct);
        var since = vm.Console.Position;
        await vm.PowerOnAsync(Ct);
        await vm.WaitForConsoleTextAsync(login, BootTimeout, since, cancellationToken: Ct);
        await vm.SucceedAsync("test ! -e /etc/probe", cancellationToken: Ct);
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
            await using var vm = await QemuVm.StartAsync(QemuMachine.Create("bios-virtio").WithFirmware(Firmware.Bios), qcow2, cancellationToken: Ct);

            var report = await vm.WaitForConsoleTextAsync(new Regex(@"root is verity-protected: yes; FAILED: dm-verity refused block (\d+)[^\r\n]*"), BootTimeout, cancellationToken: Ct);
            long.Parse(report.Groups[1].Value).ShouldBe(block);
            report.Value.ShouldContain("kernel:");
            report.Value.ShouldContain("is corrupted");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
