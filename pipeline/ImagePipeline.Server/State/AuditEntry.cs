namespace ImagePipeline.Server.State;

/// <summary>Who did what, when: every state change and every refused request worth an operator's eye.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    /// <summary>A user, "webhook", "scheduler", or the remote address of an anonymous caller.</summary>
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public required string Detail { get; set; }
}
