using System.Text.RegularExpressions;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>Recipe sources: git repositories the server follows (registered here, then synced by a job that lists their recipes).</summary>
public static partial class SourcesApi
{
    public static IEndpointRouteBuilder MapSourcesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/sources").WithTags("sources").RequireAuthorization(Roles.Policies.Read);
        api.MapGet("/", async (IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            return (await db.Sources.Include(s => s.Recipes).OrderBy(s => s.Name).ToListAsync(ct)).Select(SourceView.Of).ToList();
        });
        api.MapGet("/{name}", async Task<Results<Ok<SourceView>, NotFound<string>>> (string name, IDbContextFactory<PipelineDb> databases, CancellationToken ct) =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            var source = await db.Sources.Include(s => s.Recipes).SingleOrDefaultAsync(s => s.Name == name, ct);
            return source is null ? TypedResults.NotFound($"no source '{name}'") : TypedResults.Ok(SourceView.Of(source));
        });
        api.MapPost("/", RegisterAsync).RequireAuthorization(Roles.Policies.Build);
        return app;
    }

    private static async Task<Results<Created<SourceView>, BadRequest<string>, Conflict<string>>> RegisterAsync(SourceRequest request, IDbContextFactory<PipelineDb> databases,
        RunScheduler scheduler, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (request.Name is null || !SourceName().IsMatch(request.Name))
            return TypedResults.BadRequest("name is required: 1-63 of a-z, 0-9 and '-', starting with a letter or digit");
        if (string.IsNullOrWhiteSpace(request.Url))
            return TypedResults.BadRequest("url is required: a git URL or a local path of the repository holding the recipes");
        if (request.PollSeconds is < 0 or > 86400)
            return TypedResults.BadRequest("pollSeconds must be 0 (no polling) to 86400");
        await using var db = await databases.CreateDbContextAsync(ct);
        if (await db.Sources.AnyAsync(s => s.Name == request.Name, ct))
            return TypedResults.Conflict($"a source named '{request.Name}' exists already");
        var source = new RecipeSource
        {
            Name = request.Name, Url = request.Url.Trim(), Branch = string.IsNullOrWhiteSpace(request.Branch) ? "main" : request.Branch.Trim(),
            WebhookSecret = string.IsNullOrEmpty(request.WebhookSecret) ? null : request.WebhookSecret, PollSeconds = request.PollSeconds ?? 0,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Sources.Add(source);
        db.Audit.Add(new AuditEntry { At = clock.GetUtcNow().UtcDateTime, Actor = Actor(http), Action = "source-registered", Detail = $"{source.Name}: {source.Url} ({source.Branch})" });
        await db.SaveChangesAsync(ct);
        scheduler.EnqueueSync(source.Id, "registered", null, null);
        return TypedResults.Created($"/api/v1/sources/{source.Name}", SourceView.Of(source));
    }

    internal static string Actor(HttpContext http) => http.User.Identity?.Name ?? http.Connection.RemoteIpAddress?.ToString() ?? "anonymous";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex SourceName();
}
