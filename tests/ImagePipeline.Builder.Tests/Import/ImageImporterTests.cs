using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Disk;
using ImagePipeline.Builder.Import;
using ImagePipeline.Builder.Tests.Support;

namespace ImagePipeline.Builder.Tests.Import;

/// <summary>
/// Images from disks built elsewhere: a real GPT disk (sfdisk, an ext4 root made by mkfs.ext4)
/// converted by a real qemu-img to each format we take, imported back to the same image; files
/// that are not GPT disk images, or are too large, refused with the reason and nothing stored.
/// </summary>
public sealed class ImageImporterTests : IDisposable
{
    private const long MiB = 1 << 20;
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("imagepipe-import-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Data => Path.Combine(scratch.FullName, "data");

    [Fact]
    public async Task A_disk_in_each_format_imports_to_the_same_image_with_its_partitions_listed_and_the_artifacts_of_a_build()
    {
        var raw = await GptDiskAsync();
        var converted = new List<string> { raw };
        foreach (var (format, options) in new[] { ("qcow2", ""), ("vhdx", "subformat=dynamic"), ("vmdk", "subformat=streamOptimized"), ("vpc", "subformat=fixed,force_size=on") })
        {
            var target = Path.Combine(scratch.FullName, $"disk.{format}");
            string[] with = options.Length == 0 ? [] : ["-o", options];
            (await Processes.RunAsync("qemu-img", ["convert", "-q", "-f", "raw", "-O", format, .. with, raw, target])).ExitCode.ShouldBe(0, format);
            converted.Add(target);
        }

        (await Processes.RunAsync("zstd", "-q", raw, "-o", Path.Combine(scratch.FullName, "disk.raw.zst"))).ExitCode.ShouldBe(0);
        converted.Add(Path.Combine(scratch.FullName, "disk.raw.zst"));
        var importer = new ImageImporter(Data);
        var results = new List<BuildResult>();
        foreach (var file in converted)
            results.Add(await importer.ImportAsync(file, "packer-web", 1L << 30, Ct));

        var first = results[0].Manifest;
        first.ImageId.ShouldBe(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(raw, Ct))), "the id is the raw disk's SHA-256, as for a build");
        results.Select(r => r.Manifest.ImageId).Distinct().ShouldHaveSingleItem("qcow2, vhdx, vmdk, vhd and raw.zst of one disk are one image");
        results.Skip(1).ShouldAllBe(r => r.AlreadyStored);
        first.Base.ShouldBe(ImageImporter.ImportedBase);
        first.Name.ShouldBe("packer-web");
        first.Recipe.Path.ShouldBe("import:disk.raw");
        first.Artifacts.Select(a => a.Name).ShouldBe([ArtifactStoreLayout.RawDisk, ArtifactStoreLayout.CompressedDisk, ArtifactStoreLayout.Qcow2Disk, ArtifactStoreLayout.ChunkIndex]);
        first.Partitions.Select(p => (p.Number, p.Name, p.Type, p.Offset, p.Size)).ShouldBe(
        [
            (1, "esp", GptPartition.EfiSystem, 1 * MiB, 15 * MiB),
            (2, "root", GptPartition.LinuxRootX86X64, 16 * MiB, 47 * MiB),
        ]);
        first.Partitions[1].Filesystem.ShouldBe("ext4");
        first.Partitions[1].FilesystemUuid.ShouldBe("7d3c5a3e-1c55-4b1b-9a55-0d7f2c3a9e11");
        first.Disk.Boot.ShouldBe(["uefi"]);
        File.Exists(Path.Combine(results[0].Directory, ArtifactStoreLayout.Manifest)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_file_that_is_not_a_GPT_disk_image_or_is_larger_than_the_limit_is_refused_with_the_reason_and_nothing_is_stored()
    {
        var text = Path.Combine(scratch.FullName, "notes.qcow2");
        await File.WriteAllTextAsync(text, string.Concat(Enumerable.Repeat("not a disk image\n", 8192)), Ct);
        var blank = Path.Combine(scratch.FullName, "blank.raw");
        await using (var file = File.Create(blank))
            file.SetLength(8 * MiB);
        var disk = await GptDiskAsync();
        var importer = new ImageImporter(Data);

        var notDisk = await Should.ThrowAsync<ImportRefusedException>(() => importer.ImportAsync(text, "notes", 1L << 30, Ct));
        var noTable = await Should.ThrowAsync<ImportRefusedException>(() => importer.ImportAsync(blank, "blank", 1L << 30, Ct));
        var tooBig = await Should.ThrowAsync<ImportRefusedException>(() => importer.ImportAsync(disk, "big", 32 * MiB, Ct));

        notDisk.Message.ShouldStartWith("notes.qcow2: no GUID partition table");
        noTable.Message.ShouldStartWith("blank.raw: no GUID partition table");
        noTable.Message.ShouldContain("import takes GPT disks");
        tooBig.Message.ShouldBe($"disk.raw: its disk is {64 * MiB:N0} bytes, larger than the limit of {32 * MiB:N0}; import a smaller disk or raise the limit");
        Directory.EnumerateDirectories(ArtifactStoreLayout.Root(Data)).Where(d => !Path.GetFileName(d).StartsWith('.')).ShouldBeEmpty("nothing stored");
    }

    /// <summary>A 64 MiB GPT disk: an (empty) ESP and an ext4 root with a known UUID.</summary>
    private async Task<string> GptDiskAsync()
    {
        var raw = Path.Combine(scratch.FullName, "disk.raw");
        if (File.Exists(raw))
            return raw;
        await using (var file = File.Create(raw))
            file.SetLength(64 * MiB);
        var layout = $"label: gpt\nstart=2048, size=30720, type={GptPartition.EfiSystem}, name=esp\nstart=32768, size=96256, type={GptPartition.LinuxRootX86X64}, name=root\n";
        (await Processes.RunWithInputAsync(layout, "sfdisk", "-q", raw)).ExitCode.ShouldBe(0);
        (await Processes.RunAsync("mkfs.ext4", "-q", "-F", "-U", "7d3c5a3e-1c55-4b1b-9a55-0d7f2c3a9e11", "-E", $"offset={16 * MiB}", raw, $"{47 * 1024}k")).ExitCode.ShouldBe(0);
        return raw;
    }

    public void Dispose() => scratch.Delete(recursive: true);
}
