using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.ArtifactStore;
using ImagePipeline.BootService.Tests.Support;
using ImagePipeline.Chunks;
using ImagePipeline.Tests.Chunks;

namespace ImagePipeline.BootService.Tests.Http;

/// <summary>
/// The chunk endpoints delta writes use: the index beside the image, and batches of chunks as one
/// zstd stream in the order asked, only to the agent of a machine told to deploy that image and
/// only chunks that image's index names.
/// </summary>
public sealed class ChunksApiTests
{
    private const string Deploying = "52:54:00:dd:00:01";
    private const string Idle = "52:54:00:dd:00:02";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Gives the service's test image a chunk index and its chunks in the store, as the builder would; the disk's chunks in order.</summary>
    private static async Task<(ChunkIndex Index, byte[] Disk, byte[] IndexBytes)> ChunkTheImageAsync(InProcessBootService service)
    {
        var (disk, index) = await ChunkedDisk.StoreAsync(768 * 1024, 7, Path.Combine(Path.GetDirectoryName(service.ArtifactsDirectory)!, "chunks"), Ct);
        var indexBytes = index.ToBytes();
        var directory = Path.Combine(service.ArtifactsDirectory, InProcessBootService.ImageId);
        await File.WriteAllBytesAsync(Path.Combine(directory, ArtifactStoreLayout.ChunkIndex), indexBytes, Ct);
        await File.WriteAllTextAsync(Path.Combine(directory, ArtifactStoreLayout.Manifest), $$"""
            {"imageId":"1111","disk":{"size":{{disk.Length}},"growRoot":false},
             "artifacts":[{"name":"chunks.idx","size":{{indexBytes.Length}},"sha256":"{{Convert.ToHexStringLower(SHA256.HashData(indexBytes))}}"}]}
            """, Ct);
        return (index, disk, indexBytes);
    }

    private static async Task<HttpResponseMessage> AskAsync(InProcessBootService service, string? token, IEnumerable<string> digests, string contentType = DeltaRoutes.RequestType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/images/{InProcessBootService.ImageId}/chunks")
        {
            Content = new ByteArrayContent(digests.SelectMany(Convert.FromHexString).ToArray()),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await service.Client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task The_assignment_names_the_index_and_a_batch_comes_back_as_one_zstd_stream_in_the_order_asked()
    {
        await using var service = await InProcessBootService.StartAsync();
        var (index, disk, indexBytes) = await ChunkTheImageAsync(service);
        var token = await service.AgentTokenAsync(Deploying, InProcessBootService.ImageId);
        using var registered = await AgentRequests.PostAsync(service, AgentRoutes.Register, new RegisterRequest { AgentVersion = "1", Facts = AgentRequests.Facts(Deploying) }, token);
        var delta = (await registered.Content.ReadFromJsonAsync(ProtocolJson.Default.RegisterResponse, Ct))!.Assignment!.Delta.ShouldNotBeNull();
        delta.IndexSha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(indexBytes)));
        delta.IndexSignature.ShouldBeNull("the image was never promoted");
        using var indexRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(delta.IndexUrl).PathAndQuery);
        indexRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var served = await service.Client.SendAsync(indexRequest, Ct);
        (await served.Content.ReadAsByteArrayAsync(Ct)).ShouldBe(indexBytes);
        index.Chunks.Count.ShouldBeGreaterThan(3);

        var asked = index.Chunks.AsEnumerable().Reverse().Take(3).ToList();
        using var batch = await AskAsync(service, token, asked.Select(c => c.Sha256));

        batch.StatusCode.ShouldBe(HttpStatusCode.OK);
        batch.Content.Headers.ContentType!.MediaType.ShouldBe(DeltaRoutes.ResponseType);
        await using var decoded = new ZstdSharp.DecompressionStream(await batch.Content.ReadAsStreamAsync(Ct));
        var bytes = new MemoryStream();
        await decoded.CopyToAsync(bytes, Ct);
        bytes.ToArray().ShouldBe(asked.SelectMany(c => disk.AsSpan((int)c.Offset, c.Length).ToArray()).ToArray());
    }

    [Fact]
    public async Task Chunks_go_only_to_the_deploying_machine_and_only_those_its_image_names()
    {
        await using var service = await InProcessBootService.StartAsync();
        var (index, _, _) = await ChunkTheImageAsync(service);
        var token = await service.AgentTokenAsync(Deploying, InProcessBootService.ImageId);
        var idleToken = await service.AgentTokenAsync(Idle, desiredImage: null);
        var one = new[] { index.Chunks[0].Sha256 };

        using var anonymous = await AskAsync(service, null, one);
        using var otherMachine = await AskAsync(service, idleToken, one);
        using var foreign = await AskAsync(service, token, [Convert.ToHexStringLower(SHA256.HashData("not in the image"u8))]);
        using var wrongType = await AskAsync(service, token, one, "application/json");
        using var tooMany = await AskAsync(service, token, Enumerable.Repeat(index.Chunks[0].Sha256, DeltaRoutes.MaxChunksPerRequest + 1));

        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        otherMachine.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        foreign.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await foreign.Content.ReadAsStringAsync(Ct)).ShouldContain("is not in image");
        wrongType.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        tooMany.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await tooMany.Content.ReadAsStringAsync(Ct)).ShouldContain($"1 to {DeltaRoutes.MaxChunksPerRequest}");
    }

    [Fact]
    public async Task An_index_that_is_not_what_the_manifest_records_is_not_trusted_for_chunks()
    {
        await using var service = await InProcessBootService.StartAsync();
        var (index, _, indexBytes) = await ChunkTheImageAsync(service);
        indexBytes[^1] ^= 0xff;
        await File.WriteAllBytesAsync(Path.Combine(service.ArtifactsDirectory, InProcessBootService.ImageId, ArtifactStoreLayout.ChunkIndex), indexBytes, Ct);
        var token = await service.AgentTokenAsync(Deploying, InProcessBootService.ImageId);

        using var batch = await AskAsync(service, token, [index.Chunks[0].Sha256]);

        batch.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await batch.Content.ReadAsStringAsync(Ct)).ShouldContain("the store is damaged");
    }
}
