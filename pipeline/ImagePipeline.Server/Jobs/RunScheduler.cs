using Hangfire;
using Hangfire.States;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Jobs;

/// <summary>Creates pipeline runs and puts their jobs on Hangfire's queues; every trigger (API, webhook, poll, nightly) comes through here.</summary>
public sealed class RunScheduler(IDbContextFactory<PipelineDb> databases, IBackgroundJobClient jobs, TimeProvider clock)
{
    /// <summary>What a run's commit says before the build resolves it: the branch's head when the build starts.</summary>
    public const string BranchHead = "HEAD";

    public async Task<PipelineRun> CreateRunAsync(long recipeId, string trigger, string commit, string queue, CancellationToken cancellationToken,
        EmergencyRebuild? emergency = null)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        // The run's trace starts here (under the request that asked for it, if one did).
        using var span = PipelineTracing.Start("pipeline.trigger", null);
        span?.SetTag("imagepipeline.trigger", trigger);
        var run = new PipelineRun
        {
            RecipeId = recipeId, Trigger = trigger, Commit = commit, Queue = emergency is null ? queue : Queues.Critical, State = RunState.Queued, CreatedAt = clock.GetUtcNow().UtcDateTime,
            Emergency = emergency is not null, UpdatePackages = emergency?.Packages.Count > 0 ? string.Join(' ', emergency.Packages) : null, Reason = emergency?.Reason,
        };
        run.TraceParent = span?.Id;
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        span?.SetTag("imagepipeline.run", run.Id);
        span?.SetTag("imagepipeline.recipe_id", recipeId);
        // The run row is written before its job exists: a job always finds its run. A crash
        // between the two leaves a queued run without a job, which the next trigger supersedes.
        EnqueueBuild(run.Id, 0, run.Queue);
        return run;
    }

    /// <summary>
    /// A person's trigger of a recipe by name (API, web UI, CLI): a run at the branch's head, audited
    /// with who asked; an emergency rebuild is marked EMERGENCY with its reason. Null with the known
    /// recipes when the name is unknown (status 404), or why when it names imported images (409).
    /// </summary>
    public async Task<(PipelineRun? Run, string? Problem, int Status)> TriggerAsync(string recipeName, string actor, EmergencyRebuild? emergency, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var recipe = await db.Recipes.Include(r => r.Source).SingleOrDefaultAsync(r => r.Name == recipeName, cancellationToken);
        if (recipe is null)
        {
            var known = await db.Recipes.Where(r => r.SourceId != null).Select(r => r.Name).OrderBy(n => n).ToListAsync(cancellationToken);
            return (null, $"no recipe '{recipeName}'; known: {(known.Count == 0 ? "none (register a source: POST /api/v1/sources)" : string.Join(", ", known))}", 404);
        }

        if (recipe.Imported)
            return (null, $"'{recipeName}' names images built elsewhere, not a recipe: nothing to build; a new version comes from an upload (POST /api/v1/images?name={recipeName})", 409);

        var run = await CreateRunAsync(recipe.Id, emergency is null ? "manual" : "emergency", BranchHead, Queues.Default, cancellationToken, emergency);
        db.Audit.Add(AuditEntries.For(actor, emergency is null ? "triggered" : "rebuild", emergency is not null,
            $"{recipeName}: run {run.Id}{(emergency is null ? "" : $" on the critical queue — {emergency.Reason}{(emergency.Packages.Count == 0 ? "" : $"; must update {string.Join(", ", emergency.Packages)}")}")}",
            clock.GetUtcNow().UtcDateTime));
        await db.SaveChangesAsync(cancellationToken);
        run.Recipe = recipe;
        return (run, null, 0);
    }

    /// <summary>
    /// A run for an image imported under <paramref name="entry"/> (stored already): nothing to build,
    /// so it starts at validation; unchanged at once when the image is a version already. Its
    /// commit says where the image came from: "upload:" and the upload's SHA-256.
    /// </summary>
    public async Task<PipelineRun> CreateImportRunAsync(RecipeEntry entry, string imageId, string inputDigest, string uploadSha256, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        using var span = PipelineTracing.Start("pipeline.trigger", null);
        span?.SetTag("imagepipeline.trigger", "import");
        var now = clock.GetUtcNow().UtcDateTime;
        var known = await db.Images.AnyAsync(i => i.ImageId == imageId, cancellationToken);
        var run = new PipelineRun
        {
            RecipeId = entry.Id, Trigger = "import", Commit = $"upload:{uploadSha256}", Queue = Queues.Validation, CreatedAt = now, StartedAt = now,
            ImageId = imageId, InputDigest = inputDigest,
            State = known ? RunState.Unchanged : RunState.Validating, FinishedAt = known ? now : null,
        };
        run.TraceParent = span?.Id;
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        span?.SetTag("imagepipeline.run", run.Id);
        span?.SetTag("imagepipeline.image", imageId);
        if (!known)
            EnqueueValidation(run.Id, run.Generation);
        run.Recipe = entry;
        return run;
    }

    public void EnqueueBuild(long runId, int generation, string queue) =>
        jobs.Create<PipelineJobs>(j => j.BuildAsync(runId, generation, CancellationToken.None), new EnqueuedState(queue));

    public void EnqueueValidation(long runId, int generation, bool emergency = false) =>
        jobs.Create<PipelineJobs>(j => j.ValidateAsync(runId, generation, CancellationToken.None), new EnqueuedState(emergency ? Queues.CriticalValidation : Queues.Validation));

    public void EnqueueSync(long sourceId, string trigger, string[]? changedPaths, string? commit) =>
        jobs.Create<PipelineJobs>(j => j.SyncSourceAsync(sourceId, trigger, changedPaths, commit, CancellationToken.None), new EnqueuedState(Queues.Default));
}
