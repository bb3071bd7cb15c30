using ImagePipeline.ArtifactStore;
using ImagePipeline.BootService.Files;
using ImagePipeline.BootService.Images;
using ImagePipeline.BootService.Inventory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.BootService.Http;

/// <summary>
/// Boot files (<c>/files/...</c>: iPXE, deploy kernel and initramfs, which anything that
/// netboots takes without credentials) and images (<c>/images/ID/disk.raw.zst</c>, and the
/// chunk index <c>/images/ID/chunks.idx</c> delta writes start from) with Range and
/// ETag, so an agent resumes a download where it broke off. Both go through a
/// <see cref="FileJail"/>: nothing outside their roots is served.
/// <para>
/// The artifact store also holds unapproved candidates, manifests, build logs and other formats:
/// of it, only an image's stream is served, and only to the agent of a machine told to deploy
/// that image (its token, from the address the token is bound to). Anyone else on the
/// provisioning network gets a 401, not the bytes of an image nobody approved for them.
/// </para>
/// </summary>
public static class BootFilesApi
{
    public static IEndpointRouteBuilder MapBootFiles(this IEndpointRouteBuilder app, FileJail images)
    {
        app.MapMethods("/files/{**path}", ["GET", "HEAD"], (string path, BootFiles files) => Serve(files.Resolve(path)));
        app.MapMethods("/images/{id}/{file}", ["GET", "HEAD"], (string id, string file, HttpContext http, IMachineInventory inventory, CancellationToken cancellationToken) =>
            ServeImageAsync(id, file, http, inventory, images, cancellationToken));
        return app;
    }

    private static async Task<IResult> ServeImageAsync(string id, string file, HttpContext http, IMachineInventory inventory, FileJail images, CancellationToken cancellationToken)
    {
        if (await AuthorizeImageAsync(id, http, inventory, cancellationToken) is { } refused)
            return refused;
        if (file is not (ArtifactStoreLayout.CompressedDisk or ArtifactStoreLayout.ChunkIndex))
            return TypedResults.Problem($"only {ArtifactStoreLayout.CompressedDisk} and {ArtifactStoreLayout.ChunkIndex} of an image are served", statusCode: StatusCodes.Status404NotFound);
        if (http.RequestServices.GetService(typeof(SiteCache)) is SiteCache cache)
        {
            bool here;
            try
            {
                here = file == ArtifactStoreLayout.CompressedDisk
                    ? await cache.EnsureStreamAsync(id, cancellationToken)
                    : await cache.EnsureImageAsync(id, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException or IOException)
            {
                return TypedResults.Problem($"this site's cache could not pull {file} of image {id} from the pipeline server: {e.Message}", statusCode: StatusCodes.Status502BadGateway);
            }

            if (!here)
                return TypedResults.Problem($"image {id} has no {file} here or on the pipeline server", statusCode: StatusCodes.Status404NotFound);
        }

        return Serve(images.Resolve($"{id}/{file}"));
    }

    /// <summary>
    /// Null when the call carries the token of a machine told to deploy image <paramref name="id"/>
    /// (from the machine's own address); else the refusal to answer with.
    /// </summary>
    internal static async Task<IResult?> AuthorizeImageAsync(string id, HttpContext http, IMachineInventory inventory, CancellationToken cancellationToken)
    {
        if (await AgentApi.AuthenticateAsync(http, inventory, cancellationToken) is not { } machine)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem("images are served to a deploying machine's agent only: send its token (Authorization: Bearer) from the machine's own address",
                statusCode: StatusCodes.Status401Unauthorized);
        }

        if (!machine.NeedsDeploy || machine.DesiredImage != id)
        {
            return TypedResults.Problem($"machine {machine.Mac} is not told to deploy image {id} (desired: {machine.DesiredImage ?? "none"}); its token opens only its own desired image",
                statusCode: StatusCodes.Status403Forbidden);
        }

        return null;
    }

    private static IResult Serve(FileLookup lookup)
    {
        if (lookup.IsRefused)
            return TypedResults.Problem(lookup.Refusal, statusCode: StatusCodes.Status403Forbidden);
        if (lookup.File is not { } file)
            return TypedResults.NotFound();
        return new FileResponse(file);
    }
}
