using ImagePipeline.ArtifactStore;
using ImagePipeline.Server.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.Server.Api;

/// <summary>
/// What boot services at other sites pull into their site cache (<c>imagepipe bootsvc --upstream</c>):
/// an image's files the boot path serves (its manifest, stream, chunk index and the promotion's
/// signatures) and single chunks of the chunk store, each fetched once per site and checked there
/// (chunks by their digest, the index and the image by the signatures the agent verifies). To an
/// operator's token: whoever runs machines; nothing else of the store (build logs, exports) goes out.
/// </summary>
public static class ArtifactsApi
{
    /// <summary>The files of an image a site's boot service may pull.</summary>
    public static readonly IReadOnlySet<string> ServedFiles = new HashSet<string>(StringComparer.Ordinal)
    {
        ArtifactStoreLayout.Manifest, ArtifactStoreLayout.CompressedDisk, ArtifactStoreLayout.ChunkIndex,
        ArtifactStoreLayout.Signature, ArtifactStoreLayout.ChunkIndexSignature,
    };

    public static IEndpointRouteBuilder MapArtifactsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/artifacts").WithTags("artifacts").RequireAuthorization(Roles.Policies.Operate);
        api.MapGet("/images/{id}/{file}", (string id, string file, ServerOptions options) =>
        {
            if (!IsSha256(id))
                return Results.Problem($"'{id}' is not an image id (64 lower-case hex digits)", statusCode: StatusCodes.Status400BadRequest);
            if (!ServedFiles.Contains(file))
                return Results.Problem($"of an image only {string.Join(", ", ServedFiles.Order(StringComparer.Ordinal))} are served", statusCode: StatusCodes.Status404NotFound);
            var path = Path.Combine(ArtifactStoreLayout.ImageDirectory(ArtifactStoreLayout.Root(options.DataDirectory), id), file);
            return File.Exists(path)
                ? Results.File(path, "application/octet-stream", enableRangeProcessing: true)
                : Results.Problem($"image {id} has no {file} in this server's artifact store", statusCode: StatusCodes.Status404NotFound);
        });
        api.MapGet("/chunks/{sha256}", (string sha256, ServerOptions options) =>
        {
            if (!IsSha256(sha256))
                return Results.Problem($"'{sha256}' is not a chunk digest (64 lower-case hex digits)", statusCode: StatusCodes.Status400BadRequest);
            var path = ArtifactStoreLayout.ChunkPath(ArtifactStoreLayout.ChunkStore(options.DataDirectory), sha256);
            return File.Exists(path)
                ? Results.File(path, "application/zstd")
                : Results.Problem($"no chunk {sha256} in this server's chunk store", statusCode: StatusCodes.Status404NotFound);
        });
        return app;
    }

    private static bool IsSha256(string value) => value.Length == 64 && value.All(char.IsAsciiHexDigitLower);
}
