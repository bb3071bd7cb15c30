using System.Security.Cryptography;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Server.Promotion;

namespace ImagePipeline.Server.Tests.Promotion;

public sealed class ImageSignerTests : IDisposable
{
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("imagepipe-signer-");

    [Fact]
    public void The_signing_key_is_made_private_from_its_first_byte_and_a_key_others_can_read_is_refused_with_the_fix()
    {
        using (new ImageSigner(new ServerOptions { DataDirectory = data.FullName }))
        {
        }

        var made = Path.Combine(data.FullName, "server", "signing-key.pem");
        var shared = Path.Combine(data.FullName, "shared.pem");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            File.WriteAllText(shared, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(shared, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var refused = Should.Throw<ArgumentException>(() => new ImageSigner(new ServerOptions { DataDirectory = data.FullName, SigningKeyPath = shared }));

        File.GetUnixFileMode(made).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.EnumerateFiles(Path.GetDirectoryName(made)!, "*.tmp").ShouldBeEmpty();
        refused.Message.ShouldContain($"chmod 600 {shared}");
    }

    // A delta write trusts each chunk by its name in the index: the index is signed with the image's
    // key, over a statement that names it as an index, never over its bare digest.
    [Fact]
    public void The_chunk_index_is_signed_beside_the_image_and_an_image_without_one_gets_only_its_own_signature()
    {
        const string chunked = "1111111111111111111111111111111111111111111111111111111111111111";
        const string whole = "2222222222222222222222222222222222222222222222222222222222222222";
        var indexSha256 = Convert.ToHexStringLower(SHA256.HashData("an index"u8));
        var root = ArtifactStoreLayout.Root(data.FullName);
        Directory.CreateDirectory(Path.Combine(root, chunked));
        Directory.CreateDirectory(Path.Combine(root, whole));
        File.WriteAllText(Path.Combine(root, chunked, ArtifactStoreLayout.Manifest), $$"""{"artifacts":[{"name":"chunks.idx","size":8,"sha256":"{{indexSha256}}"}]}""");
        File.WriteAllText(Path.Combine(root, whole, ArtifactStoreLayout.Manifest), """{"artifacts":[]}""");
        using var signer = new ImageSigner(new ServerOptions { DataDirectory = data.FullName });

        var indexSignature = signer.SignChunkIndex(data.FullName, chunked).ShouldNotBeNull();
        signer.SignChunkIndex(data.FullName, whole).ShouldBeNull();
        ImageSigner.Attach(data.FullName, chunked, signer.Sign(chunked), indexSignature).ShouldBeTrue();
        ImageSigner.Attach(data.FullName, whole, signer.Sign(whole), signer.SignChunkIndex(data.FullName, whole)).ShouldBeTrue();

        using var key = ECDsa.Create();
        key.ImportFromPem(signer.PublicKeyPem);
        var attached = Convert.FromBase64String(File.ReadAllText(Path.Combine(root, chunked, ArtifactStoreLayout.ChunkIndexSignature)).Trim());
        key.VerifyHash(ChunkIndexStatement.Digest(indexSha256), attached).ShouldBeTrue();
        key.VerifyHash(Convert.FromHexString(indexSha256), attached).ShouldBeFalse();
        File.Exists(Path.Combine(root, whole, ArtifactStoreLayout.ChunkIndexSignature)).ShouldBeFalse();
        File.Exists(Path.Combine(root, whole, ArtifactStoreLayout.Signature)).ShouldBeTrue();
    }

    public void Dispose() => data.Delete(recursive: true);
}
