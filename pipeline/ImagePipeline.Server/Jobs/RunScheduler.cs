using Hangfire;
using Hangfire.States;
using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Jobs;

/// <summary>Creates pipeline runs and puts their jobs on Hangfire's queues; every trigger (API, webhook, poll, nightly) comes through here.</summary>
public sealed class RunScheduler(IDbContextFactory<PipelineDb> databases, IBackgroundJobClient jobs, TimeProvider clock)
{
    /// <summary>What a run's commit says before the build resolves it: the branch's head when the build starts.</summary>
    public const string BranchHead = "HEAD";

    public async Task<PipelineRun> CreateRunAsync(long recipeId, string trigger, string commit, string queue, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var run = new PipelineRun { RecipeId = recipeId, Trigger = trigger, Commit = commit, Queue = queue, State = RunState.Queued, CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        // The run row is written before its job exists: a job always finds its run. A crash
        // between the two leaves a queued run without a job, which the next trigger supersedes.
        EnqueueBuild(run.Id, 0, queue);
        return run;
    }

    public void EnqueueBuild(long runId, int generation, string queue) =>
        jobs.Create<PipelineJobs>(j => j.BuildAsync(runId, generation, CancellationToken.None), new EnqueuedState(queue));

    public void EnqueueValidation(long runId, int generation) =>
        jobs.Create<PipelineJobs>(j => j.ValidateAsync(runId, generation, CancellationToken.None), new EnqueuedState(Queues.Validation));

    public void EnqueueSync(long sourceId, string trigger, string[]? changedPaths, string? commit) =>
        jobs.Create<PipelineJobs>(j => j.SyncSourceAsync(sourceId, trigger, changedPaths, commit, CancellationToken.None), new EnqueuedState(Queues.Default));
}
