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
        api.MapPost("/{name}/emergency", EmergencyAsync).RequireAuthorization(Roles.Policies.Build);
        return app;
    }

    private static async Task<Results<Accepted<RunView>, NotFound<string>, Conflict<string>>> TriggerAsync(string name, RunScheduler scheduler, HttpContext http, CancellationToken ct)
    {
        var (run, problem, status) = await scheduler.TriggerAsync(name, SourcesApi.Actor(http), null, ct);
        if (run is not null)
            return TypedResults.Accepted($"/api/v1/runs/{run.Id}", RunView.Of(run));
        return status == StatusCodes.Status409Conflict ? TypedResults.Conflict(problem!) : TypedResults.NotFound(problem!);
    }

    /// <summary>POST /api/v1/recipes/NAME/emergency {"reason": ..., "packages": [...]}: an emergency rebuild (critical queue, fresh base, smoke profiles).</summary>
    private static async Task<Results<Accepted<RunView>, NotFound<string>, Conflict<string>, BadRequest<string>>> EmergencyAsync(string name, EmergencyRequest request, RunScheduler scheduler,
        HttpContext http, CancellationToken ct)
    {
        var (rebuild, invalid) = EmergencyRebuild.Parse(request.Reason, request.Packages);
        if (rebuild is null)
            return TypedResults.BadRequest(invalid!);
        var (run, problem, status) = await scheduler.TriggerAsync(name, SourcesApi.Actor(http), rebuild, ct);
        if (run is not null)
            return TypedResults.Accepted($"/api/v1/runs/{run.Id}", RunView.Of(run));
        return status == StatusCodes.Status409Conflict ? TypedResults.Conflict(problem!) : TypedResults.NotFound(problem!);
    }
}

/// <summary>An emergency rebuild: why, and which packages must come out updated.</summary>
public sealed record EmergencyRequest(string? Reason, string[]? Packages);
