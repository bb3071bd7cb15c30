using Hangfire;
using ImagePipeline.Server.State;

namespace ImagePipeline.Server.Jobs;

/// <summary>Each recipe's nightly rebuild: a Hangfire recurring job named nightly-RECIPE, on the recipe's cron in its time zone.</summary>
public static class NightlyRebuild
{
    /// <summary>When a recipe names no time: 03:00 UTC.</summary>
    public const string DefaultCron = "0 3 * * *";

    public static string JobId(RecipeEntry recipe) => $"nightly-{recipe.Name}";

    public static void Schedule(IRecurringJobManager recurring, RecipeEntry recipe) =>
        recurring.AddOrUpdate<PipelineJobs>(JobId(recipe), Queues.Default, j => j.NightlyAsync(recipe.Id, CancellationToken.None), recipe.NightlyCron ?? DefaultCron,
            new RecurringJobOptions { TimeZone = recipe.TimeZone is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(recipe.TimeZone) });
}
