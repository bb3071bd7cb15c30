using System.Security.Cryptography;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.ArtifactStore;

namespace ImagePipeline.Server.Promotion;

/// <summary>
/// Signs approved images: ECDSA P-256 over the image id (the SHA-256 of the raw disk), IEEE
/// P1363, base64 — what the agent verifies with the public key baked into its deploy environment
/// (<c>imagepipe build-deployenv --trust-key</c>; <c>GET /api/v1/signing-key</c> gives it). The
/// key comes from <c>--signing-key</c>, else DATA/server/signing-key.pem, made (0600) on first use.
/// The signature is also attached to the image in the artifact store (disk.raw.sig), where the
/// boot service finds it for the agent.
/// </summary>
public sealed class ImageSigner : IDisposable
{

    private readonly ECDsa key;

    public ImageSigner(ServerOptions options)
    {
        var path = options.SigningKeyPath ?? Path.Combine(options.ServerDirectory, "signing-key.pem");
        key = ECDsa.Create();
        if (!File.Exists(path))
            Create(path);
        // A private key anyone else on the host can read signs for them too.
        if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            throw new ArgumentException($"--signing-key {path}: readable by group or others ({Convert.ToString((int)File.GetUnixFileMode(path), 8)}); make it private: chmod 600 {path}");
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--signing-key {path}: not a PEM private key ({e.Message}); give an ECDSA P-256 key (openssl ecparam -name prime256v1 -genkey -noout)", e);
        }

        if (key.KeySize != 256)
            throw new ArgumentException($"--signing-key {path}: a {key.KeySize}-bit key; images are signed with ECDSA P-256 (prime256v1)");
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem() + "\n";
        KeyPath = path;
    }

    public string PublicKeyPem { get; }
    public string KeyPath { get; }

    public string Sign(string imageId) => Convert.ToBase64String(key.SignHash(Convert.FromHexString(imageId)));

    /// <summary>The signature over the image's chunk index (<see cref="ChunkIndexStatement"/>), when the image is in this store with one; else null.</summary>
    public string? SignChunkIndex(string dataDirectory, string imageId)
    {
        var manifest = Path.Combine(ArtifactStoreLayout.ImageDirectory(ArtifactStoreLayout.Root(dataDirectory), imageId), ArtifactStoreLayout.Manifest);
        if (!File.Exists(manifest) || ArtifactStoreLayout.ReadArtifactSha256(manifest, ArtifactStoreLayout.ChunkIndex) is not { } indexSha256)
            return null;
        return Convert.ToBase64String(key.SignHash(ChunkIndexStatement.Digest(indexSha256)));
    }

    /// <summary>Whether the image's artifacts are in this server's store (so a signature can be attached beside them).</summary>
    public static bool IsInStore(string dataDirectory, string imageId) => Directory.Exists(ArtifactStoreLayout.ImageDirectory(ArtifactStoreLayout.Root(dataDirectory), imageId));

    /// <summary>
    /// Writes the signatures beside the image's files (each a temporary file, then rename; the
    /// index's first, so a reader that finds the image's signature finds the index's too): false
    /// when the image is not in this store.
    /// </summary>
    public static bool Attach(string dataDirectory, string imageId, string signature, string? chunkIndexSignature = null)
    {
        if (!IsInStore(dataDirectory, imageId))
            return false;
        var directory = ArtifactStoreLayout.ImageDirectory(ArtifactStoreLayout.Root(dataDirectory), imageId);
        if (chunkIndexSignature is not null)
            Replace(directory, ArtifactStoreLayout.ChunkIndexSignature, chunkIndexSignature);
        Replace(directory, ArtifactStoreLayout.Signature, signature);
        return true;
    }

    private static void Replace(string directory, string name, string content)
    {
        var temporary = Path.Combine(directory, $".{name}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temporary, content + "\n");
        File.Move(temporary, Path.Combine(directory, name), overwrite: true);
    }

    private static void Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        // Private from its first byte: created 0600, never written first and narrowed after.
        using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var writer = new StreamWriter(file))
            writer.Write(fresh.ExportPkcs8PrivateKeyPem() + "\n");
        try
        {
            // Another server on the same data directory may have made one first: keep theirs.
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }
    }

    public void Dispose() => key.Dispose();
}
