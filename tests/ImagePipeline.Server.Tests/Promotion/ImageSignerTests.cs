using System.Security.Cryptography;
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

    public void Dispose() => data.Delete(recursive: true);
}
