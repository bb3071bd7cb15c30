using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Tests.Support;

namespace ImagePipeline.Server.Tests.Api;

/// <summary>
/// <c>POST /api/v1/images</c>: a real qcow2 (a GPT disk made by sfdisk, converted by qemu-img)
/// uploaded, checked against its SHA-256 and stored as an image with its partitions; a wrong
/// digest, a file that is not a disk image, an upload over the limit and an upload cut short are
/// refused with the reason, and none of them leaves anything in the store or the work directory.
/// </summary>
public sealed class ImageImportApiTests : IDisposable
{
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("imagepipe-import-api-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_uploaded_qcow2_becomes_an_image_with_its_partitions_and_bad_uploads_are_refused_with_the_reason_storing_nothing()
    {
        await using var server = await TestServer.StartAsync(kestrel: true, configure: o => o with { ImportLimit = 8L << 20 });
        using var builder = await server.ClientAsync(Roles.Builder);
        using var viewer = await server.ClientAsync(Roles.Viewer);
        var qcow2 = await QcowDiskAsync();
        var bytes = await File.ReadAllBytesAsync(qcow2, Ct);
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var wrongDigest = await builder.PostAsync($"/api/v1/images?name=packer-web&sha256={new string('0', 64)}", Body(bytes), Ct);
        var notDisk = await builder.PostAsync("/api/v1/images?name=notes", Body(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("not a disk\n", 10_000)))), Ct);
        var tooBig = await builder.PostAsync("/api/v1/images?name=big", Body(new byte[(8 << 20) + 1]), Ct);
        await CutShortAsync(server.BaseAddress, builder.DefaultRequestHeaders.Authorization!.Parameter!, bytes);
        var notAllowed = await viewer.PostAsync("/api/v1/images?name=packer-web", Body(bytes), Ct);
        var storedBefore = StoredImages(server);
        var imported = await builder.PostAsync($"/api/v1/images?name=packer-web&sha256={digest}", Body(bytes), Ct);
        var body = JsonNode.Parse(await imported.Content.ReadAsStringAsync(Ct))!;
        var audit = (await server.GetJsonAsync("/api/v1/audit")).AsArray().Select(a => $"{a!["action"]} {a["detail"]}").ToList();

        wrongDigest.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await wrongDigest.Content.ReadAsStringAsync(Ct)).ShouldContain($"the upload's SHA-256 is {digest}, not the {new string('0', 64)} given");
        notDisk.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await notDisk.Content.ReadAsStringAsync(Ct)).ShouldContain("no GUID partition table");
        tooBig.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await tooBig.Content.ReadAsStringAsync(Ct)).ShouldContain("more than the import limit of 8,388,608");
        notAllowed.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        storedBefore.ShouldBeEmpty("no refused upload left an image");
        imported.StatusCode.ShouldBe(HttpStatusCode.Created, body.ToJsonString());
        var imageId = body["imageId"]!.GetValue<string>();
        body["manifest"]!["partitions"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ShouldBe(["esp", "root"]);
        body["manifest"]!["base"]!.GetValue<string>().ShouldBe("imported");
        StoredImages(server).ShouldBe([imageId]);
        File.Exists(Path.Combine(ArtifactStoreLayout.Root(server.DataDirectory), imageId, ArtifactStoreLayout.CompressedDisk)).ShouldBeTrue();
        var expected = $"image-imported packer-web {imageId[..12]} from an upload of {bytes.Length:N0} bytes (sha256 {digest})";
        audit.ShouldContain(a => a.StartsWith(expected, StringComparison.Ordinal));
        Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "server", "work")).ShouldBeEmpty("no upload is left behind");
    }

    private static ByteArrayContent Body(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    /// <summary>An upload that says it is the whole file and stops halfway: the connection closes mid-body.</summary>
    private static async Task CutShortAsync(Uri server, string token, byte[] bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, Ct);
        await using var stream = client.GetStream();
        var head = $"POST /api/v1/images?name=cut HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\nContent-Length: {bytes.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), Ct);
        await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), Ct);
        await stream.FlushAsync(Ct);
        client.Client.Shutdown(SocketShutdown.Send);
        // The server's answer, if any, once it saw the body end early.
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, Ct) > 0)
            {
            }
        }
        catch (IOException)
        {
        }
    }

    private static List<string> StoredImages(TestServer server)
    {
        var root = ArtifactStoreLayout.Root(server.DataDirectory);
        return Directory.Exists(root) ? [.. Directory.EnumerateDirectories(root).Select(d => Path.GetFileName(d)).Where(n => !n.StartsWith('.'))] : [];
    }

    /// <summary>A 6 MiB GPT disk (an ESP and a root) as qcow2: under the test server's 8 MiB limit, as a disk and as an upload.</summary>
    private async Task<string> QcowDiskAsync()
    {
        var raw = Path.Combine(scratch.FullName, "disk.raw");
        await using (var file = File.Create(raw))
            file.SetLength(6L << 20);
        var layout = "label: gpt\nstart=2048, size=4096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp\nstart=6144, size=4096, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=root\n";
        await CliWrap.Cli.Wrap("sfdisk").WithArguments(["-q", raw]).WithStandardInputPipe(PipeSource.FromString(layout)).ExecuteBufferedAsync(Ct);
        var qcow2 = Path.Combine(scratch.FullName, "disk.qcow2");
        await CliWrap.Cli.Wrap("qemu-img").WithArguments(["convert", "-q", "-f", "raw", "-O", "qcow2", raw, qcow2]).ExecuteBufferedAsync(Ct);
        return qcow2;
    }

    public void Dispose() => scratch.Delete(recursive: true);
}
