using System.Security.Cryptography;
using System.Text.Json;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Disk;
using ImagePipeline.Builder.Tests.Support;

namespace ImagePipeline.Builder.Tests;

public sealed class PublishedImageTests(TinyImage tiny)
{
    [Fact]
    public void The_image_is_stored_under_its_id_with_every_artifact_hashed_in_the_manifest()
    {
        var manifest = tiny.Result.Manifest;
        Path.GetFileName(tiny.Result.Directory).ShouldBe(manifest.ImageId);
        Path.GetDirectoryName(tiny.Result.Directory).ShouldBe(Path.Combine(tiny.DataDirectory, "artifacts", "sha256"));
        foreach (var name in new[] { "disk.raw", "disk.raw.zst", "disk.qcow2", "manifest.json", "build.log" })
            File.Exists(Path.Combine(tiny.Result.Directory, name)).ShouldBeTrue(name);

        manifest.Artifacts.Select(a => a.Name).ShouldBe(["disk.raw", "disk.raw.zst", "disk.qcow2", "chunks.idx"]);
        foreach (var artifact in manifest.Artifacts)
        {
            using var stream = File.OpenRead(Path.Combine(tiny.Result.Directory, artifact.Name));
            Convert.ToHexStringLower(SHA256.HashData(stream)).ShouldBe(artifact.Sha256, artifact.Name);
            stream.Length.ShouldBe(artifact.Size);
        }

        manifest.ImageId.ShouldBe(manifest.Artifacts[0].Sha256);
    }

    [Fact]
    public void The_store_layout_that_the_boot_service_reads_finds_what_the_builder_wrote()
    {
        var manifest = tiny.Result.Manifest;
        var directory = ArtifactStoreLayout.ImageDirectory(ArtifactStoreLayout.Root(tiny.DataDirectory), manifest.ImageId);

        var disk = ArtifactStoreLayout.ReadDisk(Path.Combine(directory, ArtifactStoreLayout.Manifest));

        directory.ShouldBe(tiny.Result.Directory);
        disk.ShouldBe(new StoredDisk(manifest.Disk.Size, manifest.Disk.GrowRoot));
        manifest.Artifacts.Select(a => a.Name).ShouldBe([ArtifactStoreLayout.RawDisk, ArtifactStoreLayout.CompressedDisk, ArtifactStoreLayout.Qcow2Disk, ArtifactStoreLayout.ChunkIndex]);
    }

    [Fact]
    public void The_manifest_on_disk_records_the_sbom_kernel_partitions_and_stage_timings()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(tiny.Result.Directory, "manifest.json")));
        var root = json.RootElement;
        root.GetProperty("name").GetString().ShouldBe("tiny");
        root.GetProperty("inputDigest").GetString()!.Length.ShouldBe(64);
        root.GetProperty("recipe").GetProperty("digest").GetString().ShouldBe(tiny.Recipe.SourceDigest);
        var packages = root.GetProperty("packages").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        packages.ShouldContain("busybox-static");
        packages.ShouldContain(p => p!.StartsWith("linux-image-", StringComparison.Ordinal));
        root.GetProperty("packages")[0].GetProperty("version").GetString().ShouldNotBeNullOrEmpty();
        var kernelVersion = root.GetProperty("kernel").GetProperty("version").GetString()!;
        packages.ShouldContain("linux-image-" + kernelVersion, "the kernel that boots is the one the SBOM lists");
        root.GetProperty("kernel").GetProperty("commandLine").GetString()!.ShouldContain("root=PARTUUID=");
        root.GetProperty("partitions").GetArrayLength().ShouldBe(2);
        root.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()).ShouldBe(["base", "rootfs", "disk", "formats"]);
    }

    [Fact]
    public async Task The_partition_table_read_by_our_reader_agrees_with_sfdisk()
    {
        var table = GptReader.Read(tiny.DiskRaw);

        var verify = await Processes.RunAsync("sfdisk", "--verify", tiny.DiskRaw);
        verify.ExitCode.ShouldBe(0, verify.StandardError);
        verify.StandardOutput.ShouldContain("No errors detected");

        var dump = await Processes.RunAsync("sfdisk", "--json", tiny.DiskRaw);
        using var json = JsonDocument.Parse(dump.StandardOutput);
        var pt = json.RootElement.GetProperty("partitiontable");
        pt.GetProperty("label").GetString().ShouldBe("gpt");
        Guid.Parse(pt.GetProperty("id").GetString()!).ShouldBe(table.DiskGuid);
        var theirs = pt.GetProperty("partitions").EnumerateArray().ToList();
        theirs.Count.ShouldBe(table.Partitions.Count);
        for (var i = 0; i < theirs.Count; i++)
        {
            var ours = table.Partitions[i];
            theirs[i].GetProperty("start").GetInt64().ShouldBe(ours.FirstLba);
            theirs[i].GetProperty("size").GetInt64().ShouldBe(ours.SectorCount);
            Guid.Parse(theirs[i].GetProperty("type").GetString()!).ShouldBe(ours.TypeGuid);
            Guid.Parse(theirs[i].GetProperty("uuid").GetString()!).ShouldBe(ours.PartitionGuid);
            theirs[i].GetProperty("name").GetString().ShouldBe(ours.Name);
        }

        table.Partitions[0].TypeGuid.ShouldBe(GptPartition.EfiSystem);
        (table.Partitions[0].Attributes & GptPartition.LegacyBiosBootable).ShouldNotBe(0UL, "SYSLINUX's gptmbr.bin boots the partition marked legacy-BIOS-bootable");
        table.Partitions[1].TypeGuid.ShouldBe(GptPartition.LinuxRootX86X64);
        (table.Partitions[0].FirstLba * 512 % (1 << 20)).ShouldBe(0, "partitions are 1 MiB aligned");
        tiny.Result.Manifest.Partitions.Select(p => p.Uuid).ShouldBe(table.Partitions.Select(p => p.PartitionGuid));
    }

    [Fact]
    public async Task Both_filesystems_check_clean()
    {
        var table = GptReader.Read(tiny.DiskRaw);
        var scratch = Directory.CreateTempSubdirectory("fsck-").FullName;
        try
        {
            var esp = DiskPartitions.Extract(tiny.DiskRaw, table.Partitions[0], Path.Combine(scratch, "esp.img"));
            var root = DiskPartitions.Extract(tiny.DiskRaw, table.Partitions[1], Path.Combine(scratch, "root.img"));

            var vfat = await Processes.RunAsync("fsck.vfat", "-n", esp);
            vfat.ExitCode.ShouldBe(0, vfat.StandardOutput + vfat.StandardError);
            var ext4 = await Processes.RunAsync("fsck.ext4", "-n", "-f", root);
            ext4.ExitCode.ShouldBe(0, ext4.StandardOutput + ext4.StandardError);

            var files = await Processes.RunAsync("mdir", "-i", esp, "-/", "-b", "::/");
            files.StandardOutput.ShouldContain("::/vmlinuz");
            files.StandardOutput.ShouldContain("::/initrd.img");
            files.StandardOutput.ShouldContain("::/EFI/BOOT/BOOTX64.EFI");
            files.StandardOutput.ShouldContain("::/syslinux.cfg");

            var motd = await Processes.RunAsync("debugfs", "-R", "cat /etc/motd", root);
            motd.StandardOutput.ShouldBe("tiny: an ImagePipeline example image\n");
            var identity = await Processes.RunAsync("debugfs", "-R", "cat /etc/imagepipeline/image.json", root);
            identity.StandardOutput.ShouldContain(tiny.Result.Manifest.InputDigest);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public async Task The_raw_disk_is_sparse()
    {
        var blocks = await Processes.RunAsync("stat", "-c", "%b %B", tiny.DiskRaw);
        var parts = blocks.StandardOutput.Split(' ');
        var allocated = long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        allocated.ShouldBeLessThan(new FileInfo(tiny.DiskRaw).Length * 3 / 4);
    }
}
