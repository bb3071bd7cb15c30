using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Import;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>
/// What an import made: the image (its id is its raw disk's SHA-256) and its manifest; the run that
/// validates it when its name has checks (<see cref="ImportsApi"/>), else what to do next.
/// </summary>
public sealed record ImportedImage(string ImageId, bool AlreadyStored, ImageManifest Manifest, long? RunId = null, string? Next = null);

/// <summary>
/// <c>POST /api/v1/images?name=NAME[&amp;sha256=HEX]</c> (builder): a disk built elsewhere, the
/// request's body streamed to disk (never held in memory) up to the server's import limit, its
/// SHA-256 taken on the way and checked against the one given, then <see cref="ImageImporter"/>
/// (qemu-img, GPT, the artifacts of a build) into the artifact store. Refused with the reason,
/// and nothing stored: over the limit (413), a digest that differs, an upload shorter than it
/// said, a file that is not a GPT disk image (400).
/// </summary>
public static class ImageImportApi
{
    public static IEndpointRouteBuilder MapImageImportApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/images", ImportAsync).WithTags("images").RequireAuthorization(Roles.Policies.Build);
        return app;
    }

    private static async Task<IResult> ImportAsync(HttpContext http, string? name, string? sha256, ServerOptions options, IDbContextFactory<PipelineDb> databases,
        RunScheduler scheduler, RunLogs logs, TimeProvider clock, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (!ImageImporter.IsValidName(name))
            return Results.BadRequest("name: give the image's name, 1-63 of a-z, 0-9 and '-' starting with a letter (?name=packer-web)");
        if (sha256 is not null && !System.Text.RegularExpressions.Regex.IsMatch(sha256, "^[0-9a-f]{64}$"))
            return Results.BadRequest("sha256: give the upload's SHA-256 as 64 lower-case hex digits, or leave it out");
        // A recipe's name is not an import's, and it is refused before a byte is read.
        RecipeEntry? entry;
        await using (var db = await databases.CreateDbContextAsync(cancellationToken))
            entry = await db.Recipes.Include(r => r.Source).SingleOrDefaultAsync(r => r.Name == name, cancellationToken);
        if (entry is { Imported: false })
            return Results.Conflict($"'{name}' is the recipe {entry.Source!.Name}:{entry.Path}, whose images are built here; import under another name");
        var limit = options.ImportLimit;
        if (http.Request.ContentLength > limit)
            return Results.Problem($"the upload is {http.Request.ContentLength:N0} bytes, more than the import limit of {limit:N0} (server --import-max-size)", statusCode: 413);
        // This endpoint's own limit, instead of Kestrel's 30 MB for every request.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
            bodyLimit.MaxRequestBodySize = null;

        var work = Directory.CreateDirectory(Path.Combine(options.ServerDirectory, "work")).FullName;
        var upload = Path.Combine(work, $"import-{Guid.NewGuid():n}-{name}.upload");
        try
        {
            long received = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(upload, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
            {
                var buffer = new byte[1 << 20];
                try
                {
                    int read;
                    while ((read = await http.Request.Body.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        received += read;
                        if (received > limit)
                            return Results.Problem($"the upload passed the import limit of {limit:N0} bytes (server --import-max-size); nothing was stored", statusCode: 413);
                        hash.AppendData(buffer, 0, read);
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    }
                }
                catch (BadHttpRequestException e)
                {
                    return Results.BadRequest($"the upload ended early ({received:N0} of {http.Request.ContentLength?.ToString("N0", CultureInfo.InvariantCulture) ?? "?"} bytes: {e.Message}); send it again. Nothing was stored");
                }
            }

            var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (sha256 is not null && digest != sha256)
                return Results.BadRequest($"the upload's SHA-256 is {digest}, not the {sha256} given: it changed on the way, or the digest is another file's. Nothing was stored");
            if (received == 0)
                return Results.BadRequest("the upload is empty: send the disk image as the request's body");

            BuildResult result;
            try
            {
                result = await new ImageImporter(options.DataDirectory, clock).ImportAsync(upload, name, limit, cancellationToken);
            }
            catch (ImportRefusedException e)
            {
                // The importer names the file: here that is the upload, named by its image name.
                return Results.BadRequest(e.Message.Replace(Path.GetFileName(upload), $"the upload ({received:N0} bytes)", StringComparison.Ordinal));
            }
            catch (BuildStepException e)
            {
                return Results.BadRequest($"the upload could not be read as a disk image: {e.Message}");
            }

            await using (var db = await databases.CreateDbContextAsync(cancellationToken))
            {
                db.Audit.Add(new AuditEntry
                {
                    At = clock.GetUtcNow().UtcDateTime, Actor = user.Identity!.Name!, Action = "image-imported",
                    Detail = $"{name} {AuditEntries.ShortId(result.Manifest.ImageId)} from an upload of {received:N0} bytes (sha256 {digest}){(result.AlreadyStored ? ", already in the store" : "")}",
                });
                await db.SaveChangesAsync(cancellationToken);
            }

            if (entry?.ImportChecks is null)
            {
                return Results.Created($"/api/v1/artifacts/{result.Manifest.ImageId}", new ImportedImage(result.Manifest.ImageId, result.AlreadyStored, result.Manifest,
                    Next: $"stored, not validated: give '{name}' its checks (PUT /api/v1/imports/{name}, a validate: section with tcp/http checks), then upload it again to make it a version"));
            }

            var run = await scheduler.CreateImportRunAsync(entry, result.Manifest.ImageId, result.Manifest.InputDigest, digest, cancellationToken);
            logs.Append(run.Id, $"import: {name} {result.Manifest.ImageId} from an upload of {received:N0} bytes (sha256 {digest}) by {user.Identity!.Name}");
            logs.Append(run.Id, run.State == RunState.Unchanged ? $"image {run.ImageId} is already a version: nothing new to validate" : "queued for validation");
            return Results.Created($"/api/v1/runs/{run.Id}", new ImportedImage(result.Manifest.ImageId, result.AlreadyStored, result.Manifest, run.Id,
                run.State == RunState.Unchanged ? "already a version: nothing new to validate" : $"validating: GET /api/v1/runs/{run.Id}"));
        }
        finally
        {
            File.Delete(upload);
        }
    }
}
