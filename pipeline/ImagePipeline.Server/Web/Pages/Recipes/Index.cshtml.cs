using ImagePipeline.Server.Auth;
using ImagePipeline.Server.Jobs;
using ImagePipeline.Server.State;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Web.Pages.Recipes;

/// <summary>Recipes, where they come from, what triggers them, their runs; build now, or an emergency rebuild.</summary>
public sealed class RecipesModel(RunScheduler scheduler) : PipelinePage
{
    public IReadOnlyList<RecipeEntry> Recipes { get; private set; } = [];
    private ILookup<long, PipelineRun> runs = Enumerable.Empty<PipelineRun>().ToLookup(r => r.RecipeId);

    public IEnumerable<PipelineRun> RunsOf(long recipeId) => runs[recipeId];

    public async Task OnGetAsync()
    {
        await using var db = await OpenAsync();
        Recipes = await db.Recipes.Include(r => r.Source).OrderBy(r => r.Name).ToListAsync(HttpContext.RequestAborted);
        var latest = await db.Runs.OrderByDescending(r => r.Id).Take(200).ToListAsync(HttpContext.RequestAborted);
        runs = latest.ToLookup(r => r.RecipeId);
    }

    [HandlerPolicy(Roles.Policies.Build)]
    public async Task<IActionResult> OnPostBuildAsync(string recipe)
    {
        var (run, problem, _) = await scheduler.TriggerAsync(recipe, Actor, null, HttpContext.RequestAborted);
        return run is null ? Refused(problem!) : Done($"run {run.Id} of {recipe} queued", $"/runs/{run.Id}");
    }

    [HandlerPolicy(Roles.Policies.Build)]
    public async Task<IActionResult> OnPostEmergencyAsync(string recipe, string? reason, string? packages)
    {
        var (rebuild, invalid) = EmergencyRebuild.Parse(reason, packages is null ? null : [packages]);
        if (rebuild is null)
            return Refused(invalid!);
        var (run, problem, _) = await scheduler.TriggerAsync(recipe, Actor, rebuild, HttpContext.RequestAborted);
        return run is null ? Refused(problem!) : Done($"EMERGENCY rebuild of {recipe}: run {run.Id} on the critical queue", $"/runs/{run.Id}");
    }
}
