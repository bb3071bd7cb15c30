using System.Globalization;
using Hangfire;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder;
using ImagePipeline.Builder.Artifacts;
using ImagePipeline.Builder.Orchestration;
using ImagePipeline.Builder.Tools;
using ImagePipeline.Recipes;
using ImagePipeline.Server.ImportedImages;
using ImagePipeline.Server.Sources;
using ImagePipeline.Server.State;
using ImagePipeline.Server.Telemetry;
using ImagePipeline.Validation.Harness;
using ImagePipeline.Validation.Running;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Server.Jobs;

/// <summary>
/// The Hangfire jobs, thin and idempotent: each loads its run or source, calls the builder, the
/// validation runner or git, and records the outcome. Hangfire delivers a job at least once (a
/// server killed mid-job runs it again after a restart), so every job first looks at what is
/// already recorded and picks up from there; the builder publishes atomically and caches by input
/// digest, so a build repeated after a crash costs little and never leaves half an image.
/// </summary>
public sealed partial class PipelineJobs(IDbContextFactory<PipelineDb> databases, ServerOptions options, RunLogs logs, RunScheduler scheduler, IRecurringJobManager recurring,
    TimeProvider clock, ServerLoops loops, ILogger<PipelineJobs> logger)
{
    [AutomaticRetry(Attempts = 1)]
    public async Task BuildAsync(long runId, int generation, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.Include(r => r.Recipe).ThenInclude(r => r!.Source).SingleAsync(r => r.Id == runId, cancellationToken);
        // At least once: a run that ended, that was handed to a newer job, that is built already,
        // or that a worker of this generation took (a second delivery of this job) is left alone.
        if (run.Finished || run.State == RunState.Validating || !await ClaimAsync(db, run, generation, cancellationToken))
            return;
        run.State = RunState.Building;
        run.StartedAt ??= Now;
        await db.SaveChangesAsync(cancellationToken);
        using var span = PipelineTracing.Start("pipeline.build", run.TraceParent);
        span?.SetTag("imagepipeline.run", runId);
        span?.SetTag("imagepipeline.attempt", run.Attempts);
        var heartbeat = RunHeartbeat.Start(databases, run, clock, options, loops);
        var recipeEntry = run.Recipe!;
        logs.Append(runId, $"run {runId}: {run.Trigger} build of {recipeEntry.Name} (attempt {run.Attempts}, queue {run.Queue}, on {run.Worker})");
        if (run.Emergency)
            logs.Append(runId, $"EMERGENCY rebuild: {run.Reason}; a fresh base{(run.UpdatePackages is null ? "" : $"; must update: {run.UpdatePackages}")}; validation on the smoke profiles");
        var work = WorkDirectory(runId);
        try
        {
            var source = recipeEntry.Source!;
            GitMirror mirror;
            if (run.Commit == RunScheduler.BranchHead)
            {
                mirror = await GitMirror.SyncAsync(source.Url, MirrorPath(source), options.GitTimeout, cancellationToken);
                run.Commit = await mirror.ResolveAsync(source.Branch, cancellationToken);
            }
            else
            {
                mirror = await GitMirror.WithCommitAsync(source.Url, MirrorPath(source), run.Commit, options.GitTimeout, cancellationToken);
            }
            logs.Append(runId, $"source {source.Name} at {run.Commit}: {recipeEntry.Path}");
            var recipe = await LoadRecipeAsync(mirror, run.Commit, recipeEntry.Path, work, cancellationToken);
            // An emergency takes today's packages from the mirror, not the day's cached base.
            var result = await new ImageBuilder(new BuildOptions { DataDirectory = options.DataDirectory, ReportAgent = options.ReportAgent, Refresh = run.Emergency },
                new TracedBuildObserver(new RunLogObserver(logs, runId), span)).BuildAsync(recipe, cancellationToken);
            span?.SetTag("imagepipeline.image", result.Manifest.ImageId);
            run.ImageId = result.Manifest.ImageId;
            run.InputDigest = result.Manifest.InputDigest;
            if (run.UpdatePackages is not null && await UpdatedPackagesProblemAsync(db, run, result.Manifest, cancellationToken) is { } notUpdated)
            {
                await FinishAsync(db, run, RunState.Failed, notUpdated, $"EMERGENCY rebuild failed: {notUpdated}", cancellationToken);
                return;
            }

            logs.Append(runId, $"built image {run.ImageId} (input {run.InputDigest[..12]}){(result.AlreadyStored ? ", already in the store" : "")}");
            if (await db.Images.AnyAsync(i => i.ImageId == run.ImageId, cancellationToken))
            {
                await FinishAsync(db, run, RunState.Unchanged, null, $"image {run.ImageId} is already a version: nothing new to validate", cancellationToken);
                return;
            }

            // Handed over: no heartbeat until the validation job takes it.
            await heartbeat.DisposeAsync();
            run.State = RunState.Validating;
            run.HeartbeatAt = null;
            await db.SaveChangesAsync(cancellationToken);
            scheduler.EnqueueValidation(runId, run.Generation, run.Emergency);
            logs.Append(runId, "queued for validation");
        }
        catch (Exception e) when (e is RecipeLintException or BuildStepException or GitException)
        {
            // The same input fails the same way: recorded, not retried.
            PipelineTracing.Failed(span, e.Message);
            await FinishAsync(db, run, RunState.Failed, e.Message, $"failed: {e.Message}", CancellationToken.None);
        }
        catch (Exception e) when (IsUnexpected(e, cancellationToken))
        {
            // Not the store, not a shutdown: a full disk, a tool that cannot run. It would fail the same way on any
            // worker, so the run ends here instead of being handed from job to job.
            PipelineTracing.Failed(span, e.Message);
            await FinishAsync(db, run, RunState.Failed, $"{e.GetType().Name}: {e.Message}", $"failed unexpectedly: {e.GetType().Name}: {e.Message}", CancellationToken.None);
        }
        finally
        {
            await heartbeat.DisposeAsync();
            DeleteQuietly(work);
        }
    }

    [AutomaticRetry(Attempts = 1)]
    public async Task ValidateAsync(long runId, int generation, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.Include(r => r.Recipe).ThenInclude(r => r!.Source).SingleAsync(r => r.Id == runId, cancellationToken);
        if (run.State != RunState.Validating || !await ClaimAsync(db, run, generation, cancellationToken))
            return;
        await using var heartbeat = RunHeartbeat.Start(databases, run, clock, options, loops);
        var directory = new ArtifactPublisher(options.DataDirectory, null).Find(run.ImageId!);
        if (directory is null)
        {
            await FinishAsync(db, run, RunState.Failed, $"image {run.ImageId} is no longer in the artifact store", "failed: the built image is gone from the store", cancellationToken);
            return;
        }

        var work = WorkDirectory(runId);
        using var span = PipelineTracing.Start("pipeline.validate", run.TraceParent);
        span?.SetTag("imagepipeline.run", runId);
        span?.SetTag("imagepipeline.image", run.ImageId);
        try
        {
            ValidationPlan plan;
            string? healthProbes = null;
            if (run.Recipe!.Imported)
            {
                // Built elsewhere: the checks its name was given, and their tcp/http ones become its health on machines.
                var checks = ImportChecks.Parse(run.Recipe.ImportChecks ?? throw new FormatException($"'{run.Recipe.Name}' has no checks: PUT /api/v1/imports/{run.Recipe.Name}"));
                plan = checks.Plan;
                healthProbes = checks.ProbesJson();
                logs.Append(runId, $"imported image: no agent of ours inside; its health on machines will be probed from outside: {string.Join(", ", checks.Probes)}");
            }
            else
            {
                var mirror = await GitMirror.WithCommitAsync(run.Recipe.Source!.Url, MirrorPath(run.Recipe.Source), run.Commit, options.GitTimeout, cancellationToken);
                var recipe = await LoadRecipeAsync(mirror, run.Commit, run.Recipe.Path, work, cancellationToken);
                plan = ValidationPlan.FromSection(recipe.Validate?.Node, smoke: run.Emergency);
            }

            logs.Append(runId, $"validating{(run.Emergency ? " (EMERGENCY: the smoke profiles)" : "")} on {string.Join(", ", plan.Profiles.Select(p => p.Name))} (attempt {run.Attempts}, on {run.Worker})");
            var report = await ValidationRunner.RunAsync(directory, plan, profile =>
            {
                logs.Append(runId, $"validation: {profile.Profile} {(profile.Passed ? "passed" : "FAILED")}{(profile.BootSeconds is { } s ? string.Create(CultureInfo.InvariantCulture, $", ready after {s:0.0} s") : "")}"
                    + string.Concat(profile.Checks.Where(c => c.Outcome == CheckResult.Fail).Select(c => $"; {c.Check}: {c.Reason?.Split('\n')[0]}")));
                // Reported when it ended: its span gets its real start and end.
                var ended = clock.GetUtcNow();
                var profileSpan = PipelineTracing.Record("pipeline.validate.profile", span?.Id, ended - TimeSpan.FromSeconds(profile.Seconds), ended,
                    ("imagepipeline.profile", profile.Profile), ("imagepipeline.hardware", profile.Hardware), ("imagepipeline.passed", profile.Passed));
                if (!profile.Passed)
                    PipelineTracing.Failed(profileSpan, "validation failed");
            }, cancellationToken);
            if (!report.Passed)
            {
                var failed = report.Profiles.Where(p => !p.Passed).Select(p => p.Profile);
                PipelineTracing.Failed(span, $"validation failed on {string.Join(", ", failed)}");
                await FinishAsync(db, run, RunState.Failed, $"validation failed on {string.Join(", ", failed)}", $"validation failed in {report.Seconds:0} s", cancellationToken);
                return;
            }

            if (!await db.Images.AnyAsync(i => i.ImageId == run.ImageId, cancellationToken))
            {
                db.Images.Add(new ImageVersion
                {
                    ImageId = run.ImageId!, RecipeId = run.RecipeId, RecipeName = run.Recipe.Name, InputDigest = run.InputDigest!,
                    Commit = run.Commit, Channel = "candidate", RunId = run.Id, CreatedAt = Now, HealthProbes = healthProbes,
                });
            }

            db.Audit.Add(new AuditEntry { At = Now, Actor = "pipeline", Action = "candidate", Detail = $"{run.Recipe.Name} image {run.ImageId} from {run.Commit} passed validation (run {run.Id})" });
            await FinishAsync(db, run, RunState.Candidate, null, $"passed validation in {report.Seconds:0} s: image {run.ImageId} is a candidate", cancellationToken);
        }
        catch (Exception e) when (e is RecipeLintException or GitException or FormatException or ArgumentException or HarnessException)
        {
            await FinishAsync(db, run, RunState.Failed, e.Message, $"validation could not run: {e.Message}", CancellationToken.None);
        }
        catch (Exception e) when (IsUnexpected(e, cancellationToken))
        {
            await FinishAsync(db, run, RunState.Failed, $"{e.GetType().Name}: {e.Message}", $"validation failed unexpectedly: {e.GetType().Name}: {e.Message}", CancellationToken.None);
        }
        finally
        {
            DeleteQuietly(work);
        }
    }

    /// <summary>
    /// Brings a source's mirror and recipe list up to date and starts runs for the recipes a
    /// change touched: a webhook names the changed paths; a poll compares with the last commit
    /// seen; a registration only lists the recipes.
    /// </summary>
    [AutomaticRetry(Attempts = 2)]
    public async Task SyncSourceAsync(long sourceId, string trigger, string[]? changedPaths, string? commit, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var source = await db.Sources.Include(s => s.Recipes).SingleAsync(s => s.Id == sourceId, cancellationToken);
        var mirror = await GitMirror.SyncAsync(source.Url, MirrorPath(source), options.GitTimeout, cancellationToken);
        var branchHead = await mirror.ResolveAsync(source.Branch, cancellationToken);
        var head = branchHead;
        if (commit is not null && await mirror.HasCommitAsync(commit, cancellationToken))
        {
            // A push names its commit in a signed body, but a signed body can be sent again: a
            // replayed old push must not move the source backwards (and rebuild what it replaced).
            // So the commit must be on the branch, and newer than the last commit this source saw.
            if (!await mirror.IsAncestorAsync(commit, branchHead, cancellationToken))
            {
                db.Audit.Add(new AuditEntry { At = Now, Actor = trigger, Action = "push-ignored", Detail = $"{source.Name}: {commit} is not on {source.Branch} (head {branchHead})" });
                await db.SaveChangesAsync(cancellationToken);
                return;
            }

            if (source.LastCommit is not null && await mirror.HasCommitAsync(source.LastCommit, cancellationToken)
                && await mirror.IsAncestorAsync(commit, source.LastCommit, cancellationToken))
            {
                db.Audit.Add(new AuditEntry { At = Now, Actor = trigger, Action = "push-ignored", Detail = $"{source.Name}: {commit} is not newer than {source.LastCommit}, already seen (a replayed or reordered delivery)" });
                await db.SaveChangesAsync(cancellationToken);
                return;
            }

            head = commit;
        }

        var tree = Path.Combine(options.ServerDirectory, "work", $"sync-{sourceId}-{Guid.NewGuid():n}");
        IReadOnlyList<DiscoveredRecipe> discovered;
        try
        {
            await mirror.ExportAsync(head, tree, cancellationToken);
            discovered = RecipeDiscovery.Find(tree);
        }
        finally
        {
            DeleteQuietly(tree);
        }

        foreach (var broken in discovered.Where(d => d.Error is not null))
            db.Audit.Add(new AuditEntry { At = Now, Actor = trigger, Action = "recipe-invalid", Detail = $"{source.Name}:{broken.Path} at {head} does not lint: {broken.Error}" });
        var accepted = await AcceptNamesAsync(db, source, discovered, trigger, head, cancellationToken);
        foreach (var found in accepted)
        {
            if (source.Recipes.FirstOrDefault(r => r.Path == found.Path) is { } known)
                known.Name = found.Name!;
            else if (source.Recipes.FirstOrDefault(r => r.Name == found.Name && discovered.All(d => d.Path != r.Path)) is { } moved)
                moved.Path = found.Path; // the file moved: the same recipe, its history kept
            else
                source.Recipes.Add(new RecipeEntry { Path = found.Path, Name = found.Name! });
        }

        var changed = trigger switch
        {
            "webhook" => changedPaths ?? [],
            "poll" when source.LastCommit is not null && source.LastCommit != head && await mirror.HasCommitAsync(source.LastCommit, cancellationToken)
                => await mirror.ChangedFilesAsync(source.LastCommit, head, cancellationToken),
            _ => [],
        };
        source.LastCommit = head;
        await db.SaveChangesAsync(cancellationToken);
        foreach (var recipe in source.Recipes)
            NightlyRebuild.Schedule(recurring, recipe);
        foreach (var recipe in source.Recipes.Where(r => accepted.Any(d => d.Path == r.Path) && RecipeDiscovery.Touches(r.Path, changed)))
        {
            var run = await scheduler.CreateRunAsync(recipe.Id, trigger, head, Queues.Default, cancellationToken);
            logs.Append(run.Id, $"{trigger}: {source.Name} at {head} changed {recipe.Path}");
        }
    }

    /// <summary>
    /// The recipes whose names this source may use: a name is one image's history, so a file may
    /// not take a name another source's recipe, an imported image or another file of this source
    /// holds. Each refused file is audited with what to fix and is neither listed nor
    /// built; the rest of the source syncs as usual.
    /// </summary>
    private async Task<List<DiscoveredRecipe>> AcceptNamesAsync(PipelineDb db, RecipeSource source, IReadOnlyList<DiscoveredRecipe> discovered, string trigger, string head, CancellationToken cancellationToken)
    {
        var elsewhere = await db.Recipes.Where(r => r.SourceId != source.Id)
            .Select(r => new { r.Name, Source = r.Source == null ? null : r.Source.Name })
            .ToDictionaryAsync(r => r.Name, r => r.Source is null ? "images are imported under it" : $"source {r.Source} has a recipe of that name", StringComparer.Ordinal, cancellationToken);
        var here = new Dictionary<string, string>(StringComparer.Ordinal);
        var accepted = new List<DiscoveredRecipe>();
        // The file that holds a name already keeps it; otherwise the first by path.
        var claims = discovered.Where(d => d.Name is not null)
            .OrderBy(d => source.Recipes.Any(r => r.Path == d.Path && r.Name == d.Name) ? 0 : 1).ThenBy(d => d.Path, StringComparer.Ordinal);
        foreach (var found in claims)
        {
            var holder = elsewhere.GetValueOrDefault(found.Name!) ?? (here.TryGetValue(found.Name!, out var path) ? $"{path} in this source has it too" : null);
            if (holder is not null)
            {
                db.Audit.Add(new AuditEntry { At = Now, Actor = trigger, Action = "recipe-invalid", Detail = $"{source.Name}:{found.Path} at {head} is not listed: its name {found.Name} is taken ({holder}); give the recipe another name" });
                continue;
            }

            here[found.Name!] = found.Path;
            accepted.Add(found);
        }

        return accepted;
    }

    /// <summary>
    /// Every night: the stage cache loses what no build holds and no build used for a week
    /// (yesterday's bases, replaced emergency bases, layers of old recipe versions), safe beside
    /// running builds on any server sharing the data directory (they hold leases on what they
    /// use); the artifact store loses images nothing refers to (<see cref="ArtifactCollector"/>), then
    /// the chunk store the chunks no image left names (<see cref="Builder.Artifacts.ChunkStoreCollector"/>).
    /// </summary>
    public async Task CollectAsync(CancellationToken cancellationToken)
    {
        var cache = Builder.Caching.StageCache.Collect(Path.Combine(options.DataDirectory, "cache"), TimeSpan.FromDays(7));
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var (images, bytes) = await ArtifactCollector.CollectAsync(db, ArtifactStoreLayout.Root(options.DataDirectory), options.ArtifactRetention, Now, cancellationToken);
        var chunks = Builder.Artifacts.ChunkStoreCollector.Collect(ArtifactStoreLayout.Root(options.DataDirectory), ArtifactStoreLayout.ChunkStore(options.DataDirectory), TimeSpan.FromDays(1), Now);
        LogCollected(logger, cache.Removed, cache.BytesFreed >> 20, cache.InUse, images, bytes >> 20, chunks.Removed, chunks.BytesFreed >> 20);
    }

    [LoggerMessage(1, LogLevel.Information, "server: collected the stage cache ({Entries} entries, {CacheMiB} MiB; {InUse} held by running builds), {Images} images nothing refers to ({ImageMiB} MiB) and {Chunks} chunks no image names ({ChunkMiB} MiB)")]
    private static partial void LogCollected(ILogger logger, int entries, long cacheMiB, int inUse, int images, long imageMiB, int chunks, long chunkMiB);

    /// <summary>Every minute: the sources whose poll interval has passed are synced.</summary>
    public async Task PollSourcesAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var minute = clock.GetUtcNow().ToUnixTimeSeconds() / 60;
        foreach (var source in await db.Sources.Where(s => s.PollSeconds > 0).ToListAsync(cancellationToken))
        {
            if (minute % Math.Max(1, source.PollSeconds / 60) == 0)
                scheduler.EnqueueSync(source.Id, "poll", null, null);
        }
    }

    /// <summary>The nightly rebuild: the base is refreshed by the day in its cache key, so the day's security updates come in.</summary>
    public async Task NightlyAsync(long recipeId, CancellationToken cancellationToken) =>
        await scheduler.CreateRunAsync(recipeId, "nightly", RunScheduler.BranchHead, Queues.Default, cancellationToken);

    /// <summary>
    /// An emergency names packages the fix is in: each must be in the new image, at a version other
    /// than in the recipe's latest image version (an unchanged one means the archive has no fix yet,
    /// and shipping would only look like a patch).
    /// </summary>
    private async Task<string?> UpdatedPackagesProblemAsync(PipelineDb db, PipelineRun run, ImageManifest built, CancellationToken cancellationToken)
    {
        // The same image again is the plainest case of nothing updated.
        var previous = await db.Images.Where(i => i.RecipeId == run.RecipeId).OrderByDescending(i => i.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        var before = previous is null ? null : ManifestJson.Read(new ArtifactPublisher(options.DataDirectory, null).Find(previous.ImageId));
        var problems = new List<string>();
        foreach (var name in run.UpdatePackages!.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var now = built.Packages.FirstOrDefault(p => p.Name == name);
            var then = before?.Packages.FirstOrDefault(p => p.Name == name);
            if (now is null)
                problems.Add($"package {name} is not in the image (name packages the recipe installs)");
            else if (then is not null && then.Version == now.Version)
                problems.Add($"package {name} is still {now.Version}, as in image {AuditEntries.ShortId(previous!.ImageId)}: the archive has no newer version yet");
            else
                logs.Append(run.Id, $"EMERGENCY: {name} {then?.Version ?? "(new)"} → {now.Version}");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static async Task<Recipe> LoadRecipeAsync(GitMirror mirror, string commit, string path, string work, CancellationToken cancellationToken)
    {
        DeleteQuietly(work);
        await mirror.ExportAsync(commit, work, cancellationToken);
        // The export is the repository: its sources stay inside it (not inside whatever git work tree holds the data directory).
        return RecipeParser.Load(Path.Combine(work, path), repositoryRoot: work);
    }

    /// <summary>
    /// Takes the run for this job in one statement: only while its generation is this job's and no
    /// worker has beaten on it yet (a new run, one handed over for validation, or one the reclaimer
    /// took from a dead worker). A second delivery of the job — Hangfire's retry of a job that threw,
    /// say on a connection the store closed while it was away — finds the heartbeat and leaves the
    /// run alone, however old the beat: deciding that a worker is dead is the reclaimer's, which
    /// gives heartbeats their grace after an outage (<see cref="RunReclaimer.StoreCameBack"/>).
    /// </summary>
    private async Task<bool> ClaimAsync(PipelineDb db, PipelineRun run, int generation, CancellationToken cancellationToken)
    {
        var now = Now;
        var worker = options.WorkerName;
        var claimed = await db.Runs.Where(r => r.Id == run.Id && r.Generation == generation && r.HeartbeatAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.HeartbeatAt, now).SetProperty(r => r.Attempts, r => r.Attempts + 1).SetProperty(r => r.Worker, worker), cancellationToken);
        if (claimed == 0)
            return false;
        await db.Entry(run).ReloadAsync(cancellationToken);
        return true;
    }

    private async Task FinishAsync(PipelineDb db, PipelineRun run, RunState state, string? error, string line, CancellationToken cancellationToken)
    {
        run.State = state;
        run.Error = error;
        run.FinishedAt = Now;
        await db.SaveChangesAsync(cancellationToken);
        logs.Append(run.Id, line);
        logs.Append(run.Id, $"run {run.Id}: {state.ToString().ToLowerInvariant()}");
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// An error no retry can mend: neither the store (a DbException anywhere in the chain: away for a
    /// while, Hangfire and the reclaimer try again) nor this server's shutdown (the run is resumed elsewhere).
    /// </summary>
    internal static bool IsUnexpected(Exception error, CancellationToken cancellationToken)
    {
        if (ImagePipeline.Loops.BackgroundLoop.IsShutdown(error, cancellationToken))
            return false;
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is System.Data.Common.DbException or DbUpdateException)
                return false;
        }

        return true;
    }

    private string WorkDirectory(long runId) => Path.Combine(options.ServerDirectory, "work", $"run-{runId.ToString(CultureInfo.InvariantCulture)}");

    private string MirrorPath(RecipeSource source) => Path.Combine(options.SourcesDirectory, $"{source.Id.ToString(CultureInfo.InvariantCulture)}.git");

    private static void DeleteQuietly(string directory)
    {
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
    }
}
