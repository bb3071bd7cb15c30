namespace ImagePipeline.Server.State;

/// <summary>planned → running(wave n) → paused | completed | aborted | rolled-back.</summary>
public enum RolloutState
{
    Running,
    Paused,
    Completed,
    Aborted,
    RolledBack,
}

/// <summary>
/// An image rolled over a selection of machines in waves (its targets), driven by the rollout
/// controller; the plan and selector are kept as given, the reason says what the controller last
/// decided and why.
/// </summary>
public sealed class Rollout
{
    public long Id { get; set; }
    public required string ImageId { get; set; }
    public required string RecipeName { get; set; }
    /// <summary>The selector as given (JSON), for the record and for a rollback.</summary>
    public required string Selector { get; set; }
    /// <summary>The plan (JSON of Rollouts.RolloutPlan).</summary>
    public required string Plan { get; set; }
    public RolloutState State { get; set; }
    /// <summary>The wave in progress: 0 is the canary.</summary>
    public int Wave { get; set; }
    public int Waves { get; set; }
    /// <summary>When the present wave's machines were power-cycled; null before.</summary>
    public DateTime? WaveStartedAt { get; set; }
    /// <summary>The W3C traceparent of the rollout's start span: its waves and their machines' deployments are traced under it (null: tracing was off).</summary>
    public string? TraceParent { get; set; }
    /// <summary>The present wave's gate has spoken (passed or failed): resuming starts the next wave.</summary>
    public bool WaveDecided { get; set; }
    public string Reason { get; set; } = "";
    public bool Emergency { get; set; }
    /// <summary>The rollout this one rolls back, if it is a rollback.</summary>
    public long? RollbackOf { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    /// <summary>Which server's controller drives it, until when (several servers share one database).</summary>
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public List<RolloutTarget> Targets { get; set; } = [];
}

/// <summary>pending (its wave has not started), deploying, healthy, failed, or untouched (the rollout stopped before its wave).</summary>
public enum TargetState
{
    Pending,
    Deploying,
    Healthy,
    Failed,
}

/// <summary>One machine of a rollout: its wave, what it ran before (for rollback), and how it went.</summary>
public sealed class RolloutTarget
{
    public long Id { get; set; }
    public long RolloutId { get; set; }
    public required string Machine { get; set; }
    public required string Mac { get; set; }
    public int Wave { get; set; }
    public string? PreviousImage { get; set; }
    public TargetState State { get; set; }
    public DateTime? Since { get; set; }
    public string? Reason { get; set; }
}
