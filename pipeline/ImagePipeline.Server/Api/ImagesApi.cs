using ImagePipeline.Server.Auth;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>Image versions: validated images and the channel each is in.</summary>
public static class ImagesApi
{
    public static IEndpointRouteBuilder MapImagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/images").WithTags("images").RequireAuthorization(Roles.Policies.Read);
        api.MapGet("/", async (string? channel, string? recipe, IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var images = db.Images.AsQueryable();
            if (channel is not null)
                images = images.Where(i => i.Channel == channel);
            if (recipe is not null)
                images = images.Where(i => i.RecipeName == recipe);
            return await images.OrderByDescending(i => i.CreatedAt).ToListAsync(ct);
        });
        api.MapGet("/{id}", async Task<Results<Ok<ImageVersion>, NotFound<string>>> (string id, IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var image = await db.Images.SingleOrDefaultAsync(i => i.ImageId == id, ct);
            return image is null ? TypedResults.NotFound($"no image version {id}") : TypedResults.Ok(image);
        });
        app.MapGet("/api/v1/audit", async (IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            return await db.Audit.OrderByDescending(a => a.Id).Take(200).ToListAsync(ct);
        }).WithTags("audit").RequireAuthorization(Roles.Policies.Read);
        return app;
    }
}
