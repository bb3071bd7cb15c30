using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Caching;

namespace ImagePipeline.Builder.Stages;

/// <summary>
/// Stage 4: the formats published beside the raw disk — zstd for transfer to the agent, qcow2 for
/// QEMU overlays — each hashed for the manifest. The conversions and the hash of the raw disk
/// only read <c>disk.raw</c>, so they run side by side.
/// </summary>
public static class FormatsStage
{
    /// <returns>disk.raw, disk.raw.zst and disk.qcow2 with size and SHA-256, in that order.</returns>
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

        async Task<ArtifactEntry> Describe(string name, Func<Task> produce)
        {
            await produce();
            var path = Path.Combine(staging, name);
            return new ArtifactEntry(name, new FileInfo(path).Length, await DigestBuilder.Sha256FileAsync(path, context.CancellationToken));
        }

        return await Task.WhenAll(
            Describe(ArtifactStoreLayout.RawDisk, () => Task.CompletedTask),
            Describe(ArtifactStoreLayout.CompressedDisk, () => context.RunAsync("formats", "zstd", "-q", "-3", "-T2", "-f", raw, "-o", Path.Combine(staging, ArtifactStoreLayout.CompressedDisk))),
            Describe(ArtifactStoreLayout.Qcow2Disk, () => ConvertToQcow2Async(context, raw, Path.Combine(staging, ArtifactStoreLayout.Qcow2Disk))));
    }

    /// <summary>raw → qcow2 is byte-identical across runs (vhdx and vmdk are not).</summary>
    public static Task ConvertToQcow2Async(BuildContext context, string raw, string qcow2) =>
        context.RunAsync("formats", "qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, qcow2);
}
