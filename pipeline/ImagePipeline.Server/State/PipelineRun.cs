namespace ImagePipeline.Server.State;

/// <summary>One trigger of one recipe going through the pipeline: build, then validation if the image is new.</summary>
public sealed class PipelineRun
{
    public long Id { get; set; }
    public long RecipeId { get; set; }
    public RecipeEntry? Recipe { get; set; }
    /// <summary>manual, webhook, poll or nightly.</summary>
    public required string Trigger { get; set; }
    /// <summary>The commit of the source the recipe is read from.</summary>
    public required string Commit { get; set; }
    public RunState State { get; set; }
    public string? ImageId { get; set; }
    public string? InputDigest { get; set; }
    /// <summary>An emergency rebuild: the critical queue, a fresh base, the recipe's smoke profiles; marked EMERGENCY everywhere.</summary>
    public bool Emergency { get; set; }
    /// <summary>Emergency: the packages (space-separated) the image must carry newer than the recipe's latest image; the run fails if one is missing or unchanged.</summary>
    public string? UpdatePackages { get; set; }
    /// <summary>Why, in the operator's words (emergency rebuilds need one).</summary>
    public string? Reason { get; set; }
    /// <summary>The Hangfire queue the build runs on.</summary>
    public required string Queue { get; set; }
    public string? Error { get; set; }
    /// <summary>The W3C traceparent of the run's trigger span: its build, validation, promotion and rollouts are traced under it (null: tracing was off).</summary>
    public string? TraceParent { get; set; }
    /// <summary>How many times the job started (a restart after a crash runs it again).</summary>
    public int Attempts { get; set; }
    /// <summary>The server process (host:pid) of the latest attempt: with several servers on one database, where the work ran.</summary>
    public string? Worker { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    /// <summary>Written every few seconds by the job working on the run; a stale one means its server died (see <c>Jobs.RunReclaimer</c>).</summary>
    public DateTime? HeartbeatAt { get; set; }
    /// <summary>Which job may work on the run: a reclaimed run gets a new generation, and a job of an older one does nothing.</summary>
    public int Generation { get; set; }

    public bool Finished => State is RunState.Candidate or RunState.Unchanged or RunState.Failed;
}
