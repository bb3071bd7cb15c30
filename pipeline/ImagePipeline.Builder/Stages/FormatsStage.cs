namespace ImagePipeline.Builder.Stages;

/// <summary>Stage 4: the formats published beside the raw disk — zstd for transfer to the agent, qcow2 for QEMU overlays.</summary>
public static class FormatsStage
{
    public const string ZstdFile = "disk.raw.zst";
    public const string Qcow2File = "disk.qcow2";

    public static async Task RunAsync(BuildContext context, string cachedRaw, string staging)
    {
        var raw = Path.Combine(staging, DiskStage.RawFile);
        // A copy, not a link: nothing done to a published image may reach the cache.
        await context.RunAsync("formats", "cp", "--sparse=always", "--reflink=auto", cachedRaw, raw);
        await ConvertToQcow2Async(context, raw, Path.Combine(staging, Qcow2File));
        await context.RunAsync("formats", "zstd", "-q", "-3", "-T2", "-f", raw, "-o", Path.Combine(staging, ZstdFile));
    }

    /// <summary>raw → qcow2 is byte-identical across runs (vhdx and vmdk are not).</summary>
    public static Task ConvertToQcow2Async(BuildContext context, string raw, string qcow2) =>
        context.RunAsync("formats", "qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, qcow2);
}
