using ImagePipeline.Agent.Protocol;
using ImagePipeline.BootService.Images;
using ImagePipeline.BootService.Inventory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.BootService.Http;

/// <summary>
/// Batches of chunks for delta writes (<c>POST /images/ID/chunks</c>, <see cref="DeltaRoutes"/>):
/// the agent sends the digests it lacks and gets their zstd frames back in that order, straight
/// from the chunk store's files. Only to the agent of a machine told to deploy that image, and
/// only chunks that image's index names. Every batch is logged with its chunk count and bytes:
/// what crossed the network for each deployment.
/// </summary>
public static partial class ChunksApi
{
    public static IEndpointRouteBuilder MapChunks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/images/{id}/chunks", ServeChunksAsync);
        return app;
    }

    private static async Task<IResult> ServeChunksAsync(string id, HttpContext http, IMachineInventory inventory, IImageCatalog images, ChunkStore store,
        ILoggerFactory logging, CancellationToken cancellationToken)
    {
        if (await BootFilesApi.AuthorizeImageAsync(id, http, inventory, cancellationToken) is { } refused)
            return refused;
        if (images.Find(id) is not { } image)
            return TypedResults.Problem($"image {id} is not in the artifact store", statusCode: StatusCodes.Status404NotFound);
        if (image.ChunkIndex is not { } index)
            return TypedResults.Problem($"image {id} was built without a chunk index: write it whole from {image.StreamFile}", statusCode: StatusCodes.Status404NotFound);

        var digests = await ReadDigestsAsync(http.Request, cancellationToken);
        if (digests.Error is { } error)
            return TypedResults.Problem(error, statusCode: StatusCodes.Status400BadRequest);
        IReadOnlySet<string> named;
        try
        {
            named = store.ChunksOf(image, index);
        }
        catch (InvalidDataException e)
        {
            return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status500InternalServerError);
        }

        if (digests.Values.FirstOrDefault(d => !named.Contains(d)) is { } foreign)
            return TypedResults.Problem($"chunk {foreign} is not in image {id}'s index", statusCode: StatusCodes.Status400BadRequest);
        if (http.RequestServices.GetService(typeof(SiteCache)) is SiteCache cache)
        {
            // A site's boot service pulls what it lacks, a few chunks at a time over the WAN; each once however many machines ask.
            try
            {
                await Parallel.ForEachAsync(digests.Values.Where(d => store.Find(d) is null).Distinct(StringComparer.Ordinal),
                    new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                    async (digest, token) => await cache.EnsureChunkAsync(digest, token));
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException)
            {
                return TypedResults.Problem($"this site's cache could not pull a chunk of image {id} from the pipeline server: {e.Message}", statusCode: StatusCodes.Status502BadGateway);
            }
        }

        var files = new List<FileInfo>(digests.Values.Count);
        foreach (var digest in digests.Values)
        {
            if (store.Find(digest) is not { } file)
                return TypedResults.Problem($"the chunk store {store.Directory} lacks chunk {digest} of image {id}; rebuild the image to restore it", statusCode: StatusCodes.Status500InternalServerError);
            files.Add(file);
        }

        var bytes = files.Sum(f => f.Length);
        LogBatch(logging.CreateLogger("ImagePipeline.BootService.Chunks"), http.Connection.RemoteIpAddress?.ToString() ?? "?", id, files.Count, bytes);
        return new ChunkBatchResponse(files, bytes);
    }

    private static async Task<(IReadOnlyList<string> Values, string? Error)> ReadDigestsAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        const int limit = DeltaRoutes.MaxChunksPerRequest * DeltaRoutes.DigestBytes;
        if (request.ContentType != DeltaRoutes.RequestType)
            return ([], $"send the chunks' SHA-256 digests as {DeltaRoutes.RequestType} (32 bytes each)");
        if (request.ContentLength is not { } length || length == 0 || length > limit || length % DeltaRoutes.DigestBytes != 0)
            return ([], $"the body must be 1 to {DeltaRoutes.MaxChunksPerRequest} SHA-256 digests of {DeltaRoutes.DigestBytes} bytes each, with its Content-Length");
        var body = new byte[length];
        await request.Body.ReadExactlyAsync(body, cancellationToken);
        var digests = new List<string>((int)(length / DeltaRoutes.DigestBytes));
        for (var at = 0; at < body.Length; at += DeltaRoutes.DigestBytes)
            digests.Add(Convert.ToHexStringLower(body.AsSpan(at, DeltaRoutes.DigestBytes)));
        return (digests, null);
    }

    [LoggerMessage(2, LogLevel.Information, "chunks: {Client} image {ImageId}: {Count} chunks, {Bytes} bytes")]
    private static partial void LogBatch(ILogger logger, string client, string imageId, int count, long bytes);

    /// <summary>The chunk files one after another: their zstd frames make one zstd stream.</summary>
    private sealed class ChunkBatchResponse(IReadOnlyList<FileInfo> files, long length) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.ContentType = DeltaRoutes.ResponseType;
            response.ContentLength = length;
            foreach (var file in files)
            {
                await using var stream = file.OpenRead();
                await stream.CopyToAsync(response.Body, httpContext.RequestAborted);
            }
        }
    }
}
