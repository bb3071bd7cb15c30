using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Artifacts;
using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Disk;
using ImagePipeline.Builder.Stages;
using ImagePipeline.Builder.Tools;

namespace ImagePipeline.Builder.Import;

/// <summary>
/// Makes an image from a disk built elsewhere (Packer, mkosi, osbuild, a cloud's export): raw,
/// raw.zst, qcow2, vhdx, vmdk or vhd, converted by <c>qemu-img</c> to a raw disk whose GPT is
/// read back (our own reader) and listed in the manifest, then published like a built image —
/// the same artifacts (zstd stream, qcow2, chunk index) and the same id (the raw disk's SHA-256),
/// so validation, approval, signing and rollouts take it as they take a build. The manifest says
/// where it came from (<c>base: imported</c>, the file's name and SHA-256 as its input) and that
/// it carries no known kernel or packages. A file that is not a disk image, has no GPT, or whose
/// disk is larger than the limit is refused with the reason, and nothing is stored.
/// </summary>
public sealed class ImageImporter(string dataDirectory, TimeProvider? clock = null)
{
    /// <summary>The formats <c>qemu-img info</c> may report for a file we import (vpc is VHD).</summary>
    public static readonly IReadOnlyList<string> Formats = ["raw", "qcow2", "vhdx", "vmdk", "vpc"];
    public const string ImportedBase = "imported";
    /// <summary>Whether <paramref name="name"/> may name an imported image (as a recipe's name): 1-63 of a-z, 0-9 and '-', starting with a letter.</summary>
    public static bool IsValidName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name) => name is not null && System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z][a-z0-9-]{0,62}$");

    private static readonly byte[] ZstdMagic = [0x28, 0xB5, 0x2F, 0xFD];

    /// <param name="file">the disk image as uploaded or given</param>
    /// <param name="name">the image's name (as a recipe's name is)</param>
    /// <param name="maxDiskBytes">the largest disk (its virtual size) accepted</param>
    /// <exception cref="ImportRefusedException">not a disk image, no GPT, larger than the limit</exception>
    public async Task<BuildResult> ImportAsync(string file, string name, long maxDiskBytes, CancellationToken cancellationToken)
    {
        var started = (clock ?? TimeProvider.System).GetUtcNow();
        var watch = Stopwatch.StartNew();
        var shown = Path.GetFileName(file);
        var uploadSha256 = await DigestBuilder.Sha256FileAsync(file, cancellationToken);
        var publisher = new ArtifactPublisher(dataDirectory, null);
        using var staging = publisher.CreateStaging();
        using var log = new BuildLog(Path.Combine(staging.Path, "build.log"));
        var tools = new ToolRunner(log);
        log.Line($"import of {shown} ({uploadSha256}) as {name}");

        var source = file;
        if (await StartsWithAsync(file, ZstdMagic, cancellationToken))
        {
            source = Path.Combine(staging.Path, "upload.decompressed");
            await tools.RunAsync("import", "zstd", ["-q", "-d", "-f", file, "-o", source], cancellationToken);
        }

        var (format, virtualSize) = await InspectAsync(source, shown, cancellationToken);
        if (virtualSize > maxDiskBytes)
            throw new ImportRefusedException($"{shown}: its disk is {virtualSize:N0} bytes, larger than the limit of {maxDiskBytes:N0}; import a smaller disk or raise the limit");
        if (virtualSize < 64 * 1024 || virtualSize % 512 != 0)
            throw new ImportRefusedException($"{shown}: a {format} disk of {virtualSize:N0} bytes is not a disk a machine boots (too small, or not whole 512-byte sectors)");
        var raw = Path.Combine(staging.Path, ArtifactStoreLayout.RawDisk);
        await tools.RunAsync("import", "qemu-img", ["convert", "-q", "-f", format, "-O", "raw", source, raw], cancellationToken);
        if (source != file)
            File.Delete(source);

        GptTable table;
        try
        {
            table = GptReader.Read(raw);
        }
        catch (GptFormatException e)
        {
            throw new ImportRefusedException($"{shown}: no GUID partition table ({e.Message}); import takes GPT disks, as the agent writes and the boot loaders we install expect");
        }

        var partitions = new List<PartitionDescription>();
        foreach (var partition in table.Partitions)
        {
            var (filesystem, uuid) = await FilesystemAsync(raw, partition.FirstLba * table.SectorSize, partition.SectorCount * table.SectorSize, cancellationToken);
            partitions.Add(new PartitionDescription(partition.Number, partition.Name, partition.TypeGuid, partition.PartitionGuid,
                partition.FirstLba * table.SectorSize, partition.SectorCount * table.SectorSize, filesystem, uuid));
        }

        File.SetUnixFileMode(raw, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var artifacts = await FormatsStage.ProduceAsync(tools, log, ArtifactStoreLayout.ChunkStore(dataDirectory), [], staging.Path, cancellationToken);
        var imageId = artifacts.Single(a => a.Name == ArtifactStoreLayout.RawDisk).Sha256;
        var boot = new List<string>();
        if (table.Partitions.Any(p => p.TypeGuid == GptPartition.EfiSystem))
            boot.Add("uefi");
        if (table.Partitions.Any(p => (p.Attributes & GptPartition.LegacyBiosBootable) != 0))
            boot.Add("bios");
        var manifest = new ImageManifest
        {
            ImageId = imageId, Name = name, InputDigest = uploadSha256, Recipe = new RecipeReference($"import:{shown}", uploadSha256), Base = ImportedBase,
            Kernel = new KernelInfo("", "", ""), Disk = new DiskInfo(new FileInfo(raw).Length, table.DiskGuid, partitions.FirstOrDefault(p => p.Type == GptPartition.LinuxRootX86X64)?.Filesystem ?? "unknown", boot, GrowRoot: false),
            Partitions = partitions, Packages = [], Artifacts = artifacts, Stages = [new StageTiming("import", Math.Round(watch.Elapsed.TotalSeconds, 2), false)], BuiltAt = started,
        };
        await File.WriteAllTextAsync(Path.Combine(staging.Path, ArtifactStoreLayout.Manifest), JsonSerializer.Serialize(manifest, ManifestJson.Options) + "\n", cancellationToken);
        log.Line($"image {imageId}: {partitions.Count} partitions, {string.Join(", ", partitions.Select(p => $"{p.Number} {p.Name} {p.Filesystem}"))}");
        var (directory, existed) = publisher.Publish(staging.Path, imageId);
        return new BuildResult(directory, manifest, existed);
    }

    /// <summary>qemu-img's view of the file: its format (one we take) and its disk's size.</summary>
    private static async Task<(string Format, long VirtualSize)> InspectAsync(string file, string shown, CancellationToken cancellationToken, string? knownFormat = null)
    {
        string[] given = knownFormat is null ? [] : ["-f", knownFormat];
        var info = await Cli.Wrap("qemu-img").WithArguments(["info", "--output=json", .. given, file]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        if (info.ExitCode != 0)
            throw new ImportRefusedException($"{shown}: qemu-img cannot read it as a disk image: {info.StandardError.Trim()}");
        var json = JsonNode.Parse(info.StandardOutput)!;
        var format = json["format"]!.GetValue<string>();
        if (knownFormat is null && format == "raw" && await HasVhdFooterAsync(file, cancellationToken))
        {
            // A fixed VHD (Azure's form) is the disk plus a 512-byte footer, with nothing at its start
            // for qemu-img's probe to see: read as raw, the footer would become part of the disk.
            return await InspectAsync(file, shown, cancellationToken, "vpc");
        }


        if (!Formats.Contains(format))
            throw new ImportRefusedException($"{shown}: a {format} image; import takes raw, raw.zst, qcow2, vhdx, vmdk and vhd");
        return (format, json["virtual-size"]!.GetValue<long>());
    }

    /// <summary>What blkid finds in the partition (type and UUID), or "none".</summary>
    private static async Task<(string Type, string? Uuid)> FilesystemAsync(string raw, long offset, long size, CancellationToken cancellationToken)
    {
        var probe = await Cli.Wrap("blkid").WithArguments(["-p", "-o", "export", "-O", offset.ToString(CultureInfo.InvariantCulture), "-S", size.ToString(CultureInfo.InvariantCulture), raw])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        var values = probe.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        return (values.GetValueOrDefault("TYPE") ?? "none", values.GetValueOrDefault("UUID"));
    }

    /// <summary>The VHD footer's cookie ("conectix") in the file's last 512 bytes.</summary>
    private static async Task<bool> HasVhdFooterAsync(string file, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(file);
        if (stream.Length < 512)
            return false;
        stream.Seek(-512, SeekOrigin.End);
        var cookie = new byte[8];
        await stream.ReadExactlyAsync(cookie, cancellationToken);
        return cookie.AsSpan().SequenceEqual("conectix"u8);
    }

    private static async Task<bool> StartsWithAsync(string file, byte[] magic, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(file);
        var head = new byte[magic.Length];
        return await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken) == head.Length && head.AsSpan().SequenceEqual(magic);
    }
}
