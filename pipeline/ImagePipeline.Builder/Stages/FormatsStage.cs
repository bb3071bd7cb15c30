using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Caching;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Stages;

/// <summary>
/// Stage 4: the formats published beside the raw disk — zstd for transfer to the agent, qcow2 for
/// QEMU overlays, the chunk index (its new chunks added to the data directory's chunk store: what a
/// delta deploy fetches), and the exports the recipe lists (<see cref="ExportFormat"/>: vhdx, vmdk, vhd) —
/// each hashed for the manifest. The conversions and the hash of the raw disk only read
/// <c>disk.raw</c>, so they run side by side.
/// </summary>
public static class FormatsStage
{
    /// <returns>disk.raw, disk.raw.zst, disk.qcow2 and chunks.idx with size and SHA-256, in that order, then the recipe's exports in its order.</returns>
    public static async Task<IReadOnlyList<ArtifactEntry>> RunAsync(BuildContext context, string cachedRaw, string staging)
    {
        var raw = Path.Combine(staging, ArtifactStoreLayout.RawDisk);
        // Published artifacts are immutable: the cached disk is read-only and the published one is a
        // hard link to it where both are on one filesystem (a copy otherwise). Nothing writes to either.
        File.SetUnixFileMode(cachedRaw, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        try
        {
            await context.Tools.RunAsync("formats", "ln", [cachedRaw, raw], context.CancellationToken);
        }
        catch (Tools.BuildStepException)
        {
            await context.RunAsync("formats", "cp", "--sparse=always", "--reflink=auto", cachedRaw, raw);
        }

        return await ProduceAsync(context.Tools, context.Log, context.ChunkStore, context.Recipe.Formats, staging, context.CancellationToken);
    }

    /// <summary>
    /// From <c>STAGING/disk.raw</c> (in place already): its zstd stream, its qcow2, its chunk index
    /// (the chunks into <paramref name="chunkStore"/>) and the <paramref name="formats"/> exports,
    /// each with size and SHA-256, disk.raw first. A build and an import (<see cref="Import.ImageImporter"/>) both end here.
    /// </summary>
    public static async Task<IReadOnlyList<ArtifactEntry>> ProduceAsync(ToolRunner tools, BuildLog log, string chunkStore, IReadOnlyList<ExportFormat> formats, string staging,
        CancellationToken cancellationToken)
    {
        var raw = Path.Combine(staging, ArtifactStoreLayout.RawDisk);
        async Task<ArtifactEntry> Describe(string name, Func<Task> produce)
        {
            await produce();
            var path = Path.Combine(staging, name);
            return new ArtifactEntry(name, new FileInfo(path).Length, await DigestBuilder.Sha256FileAsync(path, cancellationToken));
        }

        Task Run(params string[] arguments) => tools.RunAsync("formats", arguments[0], arguments[1..], cancellationToken);
        var size = new FileInfo(raw).Length;
        if (formats.Count > 0 && size % DiskSpec.MiB != 0)
            throw new Tools.BuildStepException("formats", "qemu-img convert", $"the disk is {size} bytes, not a whole number of MiB, which the exports (vhd for Azure above all) need; give disk.size in MiB or GiB", "");
        return await Task.WhenAll(
        [
            Describe(ArtifactStoreLayout.RawDisk, () => Task.CompletedTask),
            Describe(ArtifactStoreLayout.CompressedDisk, () => Run("zstd", "-q", "-3", "-T2", "-f", raw, "-o", Path.Combine(staging, ArtifactStoreLayout.CompressedDisk))),
            Describe(ArtifactStoreLayout.Qcow2Disk, () => Run("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, Path.Combine(staging, ArtifactStoreLayout.Qcow2Disk))),
            Describe(ArtifactStoreLayout.ChunkIndex, () => WriteChunksAsync(log, chunkStore, raw, Path.Combine(staging, ArtifactStoreLayout.ChunkIndex), cancellationToken)),
            .. formats.Select(format => Describe(FileName(format),
                () => Run(["qemu-img", "convert", "-q", "-f", "raw", .. ConvertOptions(format), raw, Path.Combine(staging, FileName(format))]))),
        ]);
    }

    private static async Task WriteChunksAsync(BuildLog log, string chunkStore, string raw, string index, CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (written, added) = await Artifacts.ChunkStoreWriter.WriteAsync(raw, chunkStore, index, cancellationToken);
        log.Line($"chunks: {written.Chunks.Count} ({written.Chunks.Select(c => c.Sha256).Distinct(StringComparer.Ordinal).Count()} distinct, {added} new to the store) in {watch.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>The export's file name in the image's directory.</summary>
    public static string FileName(ExportFormat format) => format switch
    {
        ExportFormat.Vhdx => ArtifactStoreLayout.VhdxDisk,
        ExportFormat.Vmdk => ArtifactStoreLayout.VmdkDisk,
        ExportFormat.Vhd => ArtifactStoreLayout.VhdDisk,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "an export format without a file name"),
    };

    /// <summary>qemu-img's output format and options: VHDX dynamic; VMDK stream-optimised; VHD fixed, its size exactly the disk's (force_size: no CHS rounding).</summary>
    private static string[] ConvertOptions(ExportFormat format) => format switch
    {
        ExportFormat.Vhdx => ["-O", "vhdx", "-o", "subformat=dynamic"],
        ExportFormat.Vmdk => ["-O", "vmdk", "-o", "subformat=streamOptimized"],
        ExportFormat.Vhd => ["-O", "vpc", "-o", "subformat=fixed,force_size=on"],
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "an export format without conversion options"),
    };

    /// <summary>raw → qcow2 is byte-identical across runs (vhdx and vmdk are not).</summary>
    public static Task ConvertToQcow2Async(BuildContext context, string raw, string qcow2) =>
        context.RunAsync("formats", "qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, qcow2);
}
