using System.Security.Claims;
using ImagePipeline.Builder.Import;
using ImagePipeline.Server.Auth;
using ImagePipeline.Server.ImportedImages;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Api;

/// <summary>A name images built elsewhere are imported under, with what they are checked by.</summary>
/// <param name="Profiles">the validation matrix's hardware profiles</param>
/// <param name="Health">the probes each machine's boot service makes from outside ("tcp 22", "http :80/healthz")</param>
public sealed record ImportNameView(string Name, string Checks, IReadOnlyList<string> Profiles, IReadOnlyList<string> Health);

/// <summary>
/// <c>PUT /api/v1/imports/NAME</c> (builder): the checks images imported under NAME are validated
/// by — a YAML document with a recipe's <c>validate:</c> section, tcp/http checks at least (they
/// are also the image's health on machines: no agent of ours is inside). Once set, every upload
/// under NAME (<c>POST /api/v1/images?name=NAME</c>) starts a run that validates it into a
/// candidate version. A recipe's name cannot be taken. <c>GET /api/v1/imports</c> lists them.
/// </summary>
public static class ImportsApi
{
    public static IEndpointRouteBuilder MapImportsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/imports").WithTags("images").RequireAuthorization(Roles.Policies.Read);
        api.MapGet("/", ListAsync);
        api.MapPut("/{name}", SetChecksAsync).RequireAuthorization(Roles.Policies.Build);
        return app;
    }

    private static async Task<List<ImportNameView>> ListAsync(IDbContextFactory<PipelineDb> databases, CancellationToken ct)
    {
        await using var db = await databases.CreateDbContextAsync(ct);
        var names = await db.Recipes.Where(r => r.SourceId == null).OrderBy(r => r.Name).ToListAsync(ct);
        return [.. names.Select(View)];
    }

    private static async Task<Results<Ok<ImportNameView>, BadRequest<string>, Conflict<string>>> SetChecksAsync(string name, HttpRequest request,
        IDbContextFactory<PipelineDb> databases, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!ImageImporter.IsValidName(name))
            return TypedResults.BadRequest($"'{name}': an imported image's name is 1-63 of a-z, 0-9 and '-', starting with a letter");
        string yaml;
        using (var reader = new StreamReader(request.Body))
            yaml = await reader.ReadToEndAsync(ct);
        if (yaml.Length > 64 * 1024)
            return TypedResults.BadRequest("the checks are larger than 64 KiB; give a validate: section");
        ImportChecks checks;
        try
        {
            checks = ImportChecks.Parse(yaml);
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException or ArgumentException or OverflowException)
        {
            return TypedResults.BadRequest($"the checks for {name}: {e.Message}; nothing was changed");
        }

        await using var db = await databases.CreateDbContextAsync(ct);
        var entry = await db.Recipes.Include(r => r.Source).SingleOrDefaultAsync(r => r.Name == name, ct);
        if (entry is { Imported: false })
            return TypedResults.Conflict($"'{name}' is the recipe {entry.Source!.Name}:{entry.Path}; import under another name");
        if (entry is null)
            db.Recipes.Add(entry = new RecipeEntry { Name = name, Path = "" });
        entry.ImportChecks = checks.Yaml;
        db.Audit.Add(new AuditEntry
        {
            At = clock.GetUtcNow().UtcDateTime, Actor = user.Identity!.Name!, Action = "import-checks-set",
            Detail = $"{name}: validated on {string.Join(", ", checks.Plan.Profiles.Select(p => p.Name))}; healthy on machines by {string.Join(", ", checks.Probes)}",
        });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(entry));
    }

    private static ImportNameView View(RecipeEntry entry)
    {
        var checks = ImportChecks.Parse(entry.ImportChecks ?? "");
        return new ImportNameView(entry.Name, checks.Yaml, [.. checks.Plan.Profiles.Select(p => p.Name)], [.. checks.Probes.Select(p => p.ToString())]);
    }
}
