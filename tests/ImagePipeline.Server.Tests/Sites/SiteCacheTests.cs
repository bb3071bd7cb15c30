using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Chunks;
using ImagePipeline.Tests.Chunks;
using ImagePipeline.Server.Tests.Support;

namespace ImagePipeline.Server.Tests.Sites;

/// <summary>
/// A boot service at a site, with an empty store of its own, serving an image that only the
/// pipeline server's artifact store holds: it pulls what its machines need the first time, each
/// chunk once however many machines ask, and checks what it pulls.
/// </summary>
public sealed partial class SiteCacheTests : IDisposable
{
    private const string ImageId = "3333333333333333333333333333333333333333333333333333333333333333";
    private readonly DirectoryInfo site = Directory.CreateTempSubdirectory("imagepipe-site-");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An image in the server's store as the builder leaves it: manifest, stream, chunk index and chunks.</summary>
    private static async Task<(ChunkIndex Index, byte[] Disk, byte[] Stream)> StoreImageAsync(string dataDirectory)
    {
        var (disk, index) = await ChunkedDisk.StoreAsync(1536 * 1024, 9, ArtifactStoreLayout.ChunkStore(dataDirectory), Ct);
        var indexBytes = index.ToBytes();
        using var compressor = new ZstdSharp.Compressor(3);
        var stream = compressor.Wrap(disk).ToArray();
        var directory = Directory.CreateDirectory(ArtifactStoreLayout.ImageDirectory(ArtifactStoreLayout.Root(dataDirectory), ImageId)).FullName;
        await File.WriteAllBytesAsync(Path.Combine(directory, ArtifactStoreLayout.ChunkIndex), indexBytes, Ct);
        await File.WriteAllBytesAsync(Path.Combine(directory, ArtifactStoreLayout.CompressedDisk), stream, Ct);
        await File.WriteAllTextAsync(Path.Combine(directory, ArtifactStoreLayout.Manifest), $$"""
            {"imageId":"{{ImageId}}","disk":{"size":{{disk.Length}},"growRoot":false},"artifacts":[
              {"name":"disk.raw.zst","size":{{stream.Length}},"sha256":"{{Convert.ToHexStringLower(SHA256.HashData(stream))}}"},
              {"name":"chunks.idx","size":{{indexBytes.Length}},"sha256":"{{Convert.ToHexStringLower(SHA256.HashData(indexBytes))}}"}]}
            """, Ct);
        return (index, disk, stream);
    }

    [Fact]
    public async Task A_sites_boot_service_pulls_each_chunk_once_for_all_its_machines_and_the_stream_on_demand()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        var (index, disk, stream) = await StoreImageAsync(server.DataDirectory);
        var operatorToken = await server.TokenAsync(await server.CreateAccountAsync("operator"), TestServer.AdminPassword);
        var port = ServerProcess.FreePort();
        await using var bootService = await BootServiceHost.StartAsync(port, Path.Combine(site.FullName, "bootsvc"), Path.Combine(site.FullName, "artifacts", "sha256"),
            (server.BaseAddress, operatorToken));
        using var admin = new HttpClient { BaseAddress = bootService.Url };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BootServiceHost.AdminToken);

        var machines = new List<HttpClient>();
        foreach (var mac in new[] { "52:54:00:5e:00:01", "52:54:00:5e:00:02", "52:54:00:5e:00:03" })
        {
            (await admin.PutAsJsonAsync($"/api/v1/machines/{mac}/desired-image", new { imageId = ImageId }, Ct)).EnsureSuccessStatusCode();
            var script = await admin.GetStringAsync($"/boot/{mac}.ipxe", Ct);
            var agent = new HttpClient { BaseAddress = bootService.Url };
            agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenOnCommandLine().Match(script).Groups[1].Value);
            machines.Add(agent);
        }

        try
        {
            using var registered = await machines[0].PostAsJsonAsync(AgentRoutes.Register, new RegisterRequest { AgentVersion = "1", Facts = SimulatedFleet.Facts("52:54:00:5e:00:01") }, ProtocolJson.Default.RegisterRequest, Ct);
            registered.EnsureSuccessStatusCode();
            var assignment = (await registered.Content.ReadFromJsonAsync(ProtocolJson.Default.RegisterResponse, Ct))!.Assignment.ShouldNotBeNull();
            assignment.Delta.ShouldNotBeNull().IndexSha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(index.ToBytes())));
            (await StatisticsAsync(admin))["chunksPulled"]!.GetValue<long>().ShouldBe(0, "the manifest and index come with the assignment; chunks only when asked for");

            // Three machines ask for every chunk at once.
            var digests = index.Chunks.Select(c => c.Sha256).ToList();
            var batches = await Task.WhenAll(machines.Select(m => ChunksAsync(m, digests)));

            foreach (var batch in batches)
                batch.ShouldBe(disk, "each machine gets the image's bytes");
            var distinct = digests.Distinct(StringComparer.Ordinal).Count();
            var pulled = await StatisticsAsync(admin);
            pulled["chunksPulled"]!.GetValue<long>().ShouldBe(distinct, "each chunk crossed the WAN once");
            (await ChunksAsync(machines[1], digests)).ShouldBe(disk);
            (await StatisticsAsync(admin))["chunksPulled"]!.GetValue<long>().ShouldBe(distinct, "the next asker is served from the site's store");
            Directory.EnumerateFiles(Path.Combine(site.FullName, "artifacts", "chunks"), "*.zst", SearchOption.AllDirectories).Count().ShouldBe(distinct);

            // A machine with a blank disk takes the whole stream: pulled when first asked for.
            File.Exists(Path.Combine(site.FullName, "artifacts", "sha256", ImageId, ArtifactStoreLayout.CompressedDisk)).ShouldBeFalse();
            (await machines[2].GetByteArrayAsync($"/images/{ImageId}/{ArtifactStoreLayout.CompressedDisk}", Ct)).ShouldBe(stream);
        }
        finally
        {
            machines.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public async Task The_artifact_store_goes_to_operators_and_only_the_files_the_boot_path_serves()
    {
        await using var server = await TestServer.StartAsync();
        var (index, _, _) = await StoreImageAsync(server.DataDirectory);
        using var anonymous = await server.ClientAsync();
        using var viewer = await server.ClientAsync("viewer");
        using var operatorClient = await server.ClientAsync("operator");
        var chunk = $"/api/v1/artifacts/chunks/{index.Chunks[0].Sha256}";

        (await anonymous.GetAsync(chunk, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await viewer.GetAsync(chunk, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await operatorClient.GetAsync(chunk, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await operatorClient.GetAsync($"/api/v1/artifacts/images/{ImageId}/{ArtifactStoreLayout.Manifest}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await operatorClient.GetAsync($"/api/v1/artifacts/images/{ImageId}/build.log", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await operatorClient.GetAsync($"/api/v1/artifacts/images/..%2F..%2Fserver/signing-key.pem", Ct)).StatusCode.ShouldBeOneOf(HttpStatusCode.BadRequest, HttpStatusCode.NotFound);
    }

    private static async Task<byte[]> ChunksAsync(HttpClient machine, IReadOnlyList<string> digests)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/images/{ImageId}/chunks") { Content = new ByteArrayContent(digests.SelectMany(Convert.FromHexString).ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(DeltaRoutes.RequestType);
        using var response = await machine.SendAsync(request, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        await using var decoded = new ZstdSharp.DecompressionStream(await response.Content.ReadAsStreamAsync(Ct));
        var bytes = new MemoryStream();
        await decoded.CopyToAsync(bytes, Ct);
        return bytes.ToArray();
    }

    private static async Task<JsonNode> StatisticsAsync(HttpClient admin) =>
        JsonNode.Parse(await admin.GetStringAsync("/api/v1/bootsvc/stats", Ct))!["siteCache"].ShouldNotBeNull();

    [GeneratedRegex(@"imagepipeline\.token=(\S+)")]
    private static partial Regex TokenOnCommandLine();

    public void Dispose() => site.Delete(recursive: true);
}
