using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>Recipes the sources hold, and the manual trigger (<c>imagepipe trigger RECIPE</c>).</summary>
public static class RecipesApi
{
    public static IEndpointRouteBuilder MapRecipesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/recipes").WithTags("recipes").RequireAuthorization(Roles.Policies.Read);
        api.MapGet("/", async (IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            return (await db.Recipes.Include(r => r.Source).OrderBy(r => r.Name).ToListAsync(ct)).Select(RecipeView.Of).ToList();
        });
        api.MapPost("/{name}/runs", TriggerAsync).RequireAuthorization(Roles.Policies.Build);
        return app;
    }

    private static async Task<Results<Accepted<RunView>, NotFound<string>>> TriggerAsync(string name, IDbContextFactory<PipelineDb> databases, RunScheduler scheduler,
        TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        var recipe = await db.Recipes.Include(r => r.Source).SingleOrDefaultAsync(r => r.Name == name, ct);
        if (recipe is null)
        {
            var known = await db.Recipes.Select(r => r.Name).OrderBy(n => n).ToListAsync(ct);
            return TypedResults.NotFound($"no recipe '{name}'; known: {(known.Count == 0 ? "none (register a source: POST /api/v1/sources)" : string.Join(", ", known))}");
        }

        var run = await scheduler.CreateRunAsync(recipe.Id, "manual", RunScheduler.BranchHead, Queues.Default, ct);
        db.Audit.Add(new AuditEntry { At = clock.GetUtcNow().UtcDateTime, Actor = SourcesApi.Actor(http), Action = "triggered", Detail = $"{name}: run {run.Id}" });
        await db.SaveChangesAsync(ct);
        run.Recipe = recipe;
        return TypedResults.Accepted($"/api/v1/runs/{run.Id}", RunView.Of(run));
    }
}
