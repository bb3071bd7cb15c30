namespace ImagePipeline.Server.State;

/// <summary>pending until enough approvals (then approved: the image is in the target channel, signed) or a rejection.</summary>
public enum PromotionState
{
    Pending,
    Approved,
    Rejected,
}

/// <summary>
/// A request to move an image version to the next channel: who asked, why, and the approvals it
/// gathered. Four eyes: the requester's own approval does not count (it is refused).
/// </summary>
public sealed class PromotionRequest
{
    public long Id { get; set; }
    public required string ImageId { get; set; }
    public required string FromChannel { get; set; }
    public required string ToChannel { get; set; }
    public required string RequestedBy { get; set; }
    public DateTime RequestedAt { get; set; }
    public string? Comment { get; set; }
    /// <summary>How many approvals the target channel needs (fixed at request time).</summary>
    public int ApprovalsNeeded { get; set; }
    public PromotionState State { get; set; }
    /// <summary>An emergency patch: one approval with a written reason, valid for a limited time.</summary>
    public bool Emergency { get; set; }
    public DateTime? DecidedAt { get; set; }
    /// <summary>Emergency approvals lapse: after this, a rollout of the image needs a new approval.</summary>
    public DateTime? ExpiresAt { get; set; }
    /// <summary>
    /// Raised by every decision and checked when it is saved (a concurrency token): two decisions
    /// on one request at once cannot both count on the same approvals; the later one is retried.
    /// </summary>
    public int Revision { get; set; }
    public List<PromotionApproval> Approvals { get; set; } = [];
}

/// <summary>One approver's yes (or no), with their comment.</summary>
public sealed class PromotionApproval
{
    public long Id { get; set; }
    public long PromotionRequestId { get; set; }
    public required string By { get; set; }
    public DateTime At { get; set; }
    public bool Approved { get; set; }
    public string? Comment { get; set; }
}
