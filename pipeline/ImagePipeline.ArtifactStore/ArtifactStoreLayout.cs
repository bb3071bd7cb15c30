using System.Text.Json;

namespace ImagePipeline.ArtifactStore;

/// <summary>
/// The one owner of the image store's layout: <c>DATA/artifacts/sha256/ID/</c>, one directory per
/// image named by the SHA-256 of its raw disk, holding what the builder writes (the raw disk, its
/// zstd stream the agent fetches, a qcow2 for QEMU, <c>manifest.json</c>) and what an approved
/// promotion attaches (the signature). The builder, the server's signer, the boot service and the
/// validation harness all find an image's files here.
/// </summary>
public static class ArtifactStoreLayout
{
    public const string RawDisk = "disk.raw";
    /// <summary>The raw disk as a zstd stream: what the boot service serves and the agent writes.</summary>
    public const string CompressedDisk = "disk.raw.zst";
    public const string Qcow2Disk = "disk.qcow2";
    public const string Manifest = "manifest.json";
    /// <summary>Exports a recipe asks for (<c>formats:</c>): the disk for Hyper-V, VMware and the clouds' image import.</summary>
    public const string VhdxDisk = "disk.vhdx";
    public const string VmdkDisk = "disk.vmdk";
    public const string VhdDisk = "disk.vhd";
    /// <summary>The signature over the image id, attached by the pipeline server when a promotion is approved.</summary>
    public const string Signature = "disk.raw.sig";
    /// <summary>The disk's chunk index (ImagePipeline.Chunks.ChunkIndex): each chunk's length and SHA-256, in order.</summary>
    public const string ChunkIndex = "chunks.idx";
    /// <summary>The promotion's signature over the chunk index (ChunkIndexStatement), attached with <see cref="Signature"/>.</summary>
    public const string ChunkIndexSignature = "chunks.idx.sig";

    /// <summary>
    /// The chunk store under a data directory, shared by every image: <c>DATA/artifacts/chunks/</c>,
    /// one zstd file per distinct chunk, named by the SHA-256 of its uncompressed bytes.
    /// </summary>
    public static string ChunkStore(string dataDirectory) => Path.Combine(dataDirectory, "artifacts", "chunks");

    /// <summary>One chunk's file in a chunk store (fanned out by the digest's first byte).</summary>
    public static string ChunkPath(string chunkStore, string sha256) => Path.Combine(chunkStore, sha256[..2], sha256 + ".zst");

    /// <summary>The store's root under a data directory.</summary>
    public static string Root(string dataDirectory) => Path.Combine(dataDirectory, "artifacts", "sha256");

    /// <summary>One image's directory in a store root.</summary>
    public static string ImageDirectory(string root, string imageId) => Path.Combine(root, imageId);

    /// <summary>
    /// The disk facts the boot path needs from an image's manifest (its size, whether the root
    /// grows to fill the disk), read without the builder's types: the boot service does not
    /// depend on the builder. The builder's tests read what it writes through this.
    /// </summary>
    public static StoredDisk ReadDisk(string manifestPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        var disk = document.RootElement.GetProperty("disk");
        return new StoredDisk(disk.GetProperty("size").GetInt64(), disk.TryGetProperty("growRoot", out var grow) && grow.GetBoolean());
    }

    /// <summary>The SHA-256 the manifest records for one of the image's files (<c>artifacts[].sha256</c>), or null when it lists no such file.</summary>
    public static string? ReadArtifactSha256(string manifestPath, string fileName)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        if (!document.RootElement.TryGetProperty("artifacts", out var artifacts) || artifacts.ValueKind != JsonValueKind.Array)
            return null;
        foreach (var artifact in artifacts.EnumerateArray())
        {
            if (artifact.TryGetProperty("name", out var name) && name.GetString() == fileName && artifact.TryGetProperty("sha256", out var sha))
                return sha.GetString();
        }

        return null;
    }
}

/// <summary>An image's disk as its manifest describes it: the raw size in bytes, and whether its root partition grows to fill the target disk.</summary>
public sealed record StoredDisk(long Size, bool GrowRoot);
