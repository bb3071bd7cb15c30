using System.Security.Cryptography;
using System.Text.Json;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Artifacts;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tests.Support;
using ImagePipeline.Recipes;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Builder.Tests;

/// <summary>A recipe's <c>formats:</c>: disks for Hyper-V, VMware and the clouds' image import, listed and hashed in the manifest.</summary>
public sealed class ExportTests(TinyImage tiny)
{
    [Fact]
    public async Task Each_export_is_hashed_in_the_manifest_and_converts_back_to_a_disk_that_boots()
    {
        var output = Path.Combine(tiny.DataDirectory, $"exports-{Guid.NewGuid():N}");
        var exporting = tiny.Recipe with { Formats = [ExportFormat.Vhdx, ExportFormat.Vmdk, ExportFormat.Vhd] };

        var built = await new ImageBuilder(tiny.Options with { OutputDirectory = output }, new RecordingObserver()).BuildAsync(exporting, TestContext.Current.CancellationToken);

        built.Manifest.ImageId.ShouldBe(tiny.Result.Manifest.ImageId, "exports do not change the disk");
        built.Manifest.Artifacts.Select(a => a.Name).ShouldBe(["disk.raw", "disk.raw.zst", "disk.qcow2", "chunks.idx", "disk.vhdx", "disk.vmdk", "disk.vhd"]);
        foreach (var artifact in built.Manifest.Artifacts)
        {
            await using var stream = File.OpenRead(Path.Combine(output, artifact.Name));
            Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, TestContext.Current.CancellationToken)).ShouldBe(artifact.Sha256, artifact.Name);
        }

        foreach (var (file, format) in new[] { ("disk.vhdx", "vhdx"), ("disk.vmdk", "vmdk"), ("disk.vhd", "vpc") })
        {
            var exported = Path.Combine(output, file);
            // A fixed VHD is the raw disk and a 512-byte footer: probing takes it for raw, so its footer is read instead.
            using var info = JsonDocument.Parse((await Processes.RunAsync("qemu-img", ["info", "--output=json", .. format == "vpc" ? ["-f", "vpc"] : Array.Empty<string>(), exported])).StandardOutput);
            info.RootElement.GetProperty("format").GetString().ShouldBe(format);
            if (format == "vpc")
            {
                var footer = new byte[512];
                await using (var vhd = File.OpenRead(exported))
                {
                    vhd.Length.ShouldBe(tiny.Recipe.Disk.SizeBytes + 512);
                    vhd.Seek(-512, SeekOrigin.End);
                    await vhd.ReadExactlyAsync(footer, TestContext.Current.CancellationToken);
                }

                System.Text.Encoding.ASCII.GetString(footer, 0, 8).ShouldBe("conectix");
                System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(footer.AsSpan(60)).ShouldBe(2u, "disk type 2: fixed");
            }

            info.RootElement.GetProperty("virtual-size").GetInt64().ShouldBe(tiny.Recipe.Disk.SizeBytes, $"{file}: the disk's exact size (the clouds take 1 MiB-aligned sizes)");

            // What an operator or a cloud does with it: read it back as a disk, and that disk boots.
            var back = Path.Combine(output, file + ".qcow2");
            (await Processes.RunAsync("qemu-img", "convert", "-f", format, "-O", "qcow2", exported, back)).ExitCode.ShouldBe(0);
            await using var vm = await QemuVm.StartAsync(QemuMachine.Create($"export-{format}").WithFirmware(Firmware.Bios), back, cancellationToken: TestContext.Current.CancellationToken);
            await vm.WaitForConsoleTextAsync(new("tiny login: "), TimeSpan.FromSeconds(120), cancellationToken: TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void An_image_already_stored_gains_an_export_it_lacks_and_keeps_everything_else()
    {
        var image = Directory.CreateTempSubdirectory("imagepipe-stored-image-").FullName;
        var staging = Directory.CreateTempSubdirectory("imagepipe-staging-").FullName;
        try
        {
            var manifestPath = Path.Combine(image, ArtifactStoreLayout.Manifest);
            File.Copy(Path.Combine(tiny.Result.Directory, ArtifactStoreLayout.Manifest), manifestPath);
            var stored = File.ReadAllText(manifestPath);
            File.WriteAllText(Path.Combine(staging, "disk.vhd"), "a vhd");
            var vhd = new ArtifactEntry("disk.vhd", 5, "00aa");
            var rebuilt = tiny.Result.Manifest.Artifacts.Append(vhd).ToList();

            ArtifactPublisher.AddMissingArtifacts(staging, image, rebuilt).ShouldBe([vhd]);

            File.ReadAllText(Path.Combine(image, "disk.vhd")).ShouldBe("a vhd");
            var after = JsonSerializer.Deserialize<ImageManifest>(File.ReadAllText(manifestPath), ManifestJson.Options)!;
            after.Artifacts.ShouldBe([.. tiny.Result.Manifest.Artifacts, vhd]);
            after.ImageId.ShouldBe(tiny.Result.Manifest.ImageId);
            after.Stages.ShouldBe(JsonSerializer.Deserialize<ImageManifest>(stored, ManifestJson.Options)!.Stages, "the stored build's record is kept");
            ArtifactPublisher.AddMissingArtifacts(staging, image, rebuilt).ShouldBeEmpty();
        }
        finally
        {
            Directory.Delete(image, recursive: true);
            Directory.Delete(staging, recursive: true);
        }
    }
}
