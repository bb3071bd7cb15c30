using ImagePipeline.BootService.Files;
using ImagePipeline.BootService.Images;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.BootService.Http;

/// <summary>
/// Boot files (<c>/files/...</c>: iPXE, deploy kernel and initramfs) and images
/// (<c>/images/ID/disk.raw.zst</c>) with Range and ETag, so an agent resumes a download where it
/// broke off. Both go through a <see cref="FileJail"/>: nothing outside their roots is served.
/// </summary>
public static class BootFilesApi
{
    public static IEndpointRouteBuilder MapBootFiles(this IEndpointRouteBuilder app, FileJail images)
    {
        app.MapMethods("/files/{**path}", ["GET", "HEAD"], (string path, BootFiles files) => Serve(files.Resolve(path)));
        app.MapMethods("/images/{**path}", ["GET", "HEAD"], (string path) => Serve(images.Resolve(path)));
        return app;
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
