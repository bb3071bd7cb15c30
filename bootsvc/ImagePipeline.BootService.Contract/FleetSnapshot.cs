namespace ImagePipeline.BootService.Contract;

/// <summary>
/// <c>GET /api/v1/events/snapshot</c>: every machine as it is, and the event cursor they are as of:
/// the events after <see cref="Cursor"/> are the changes since (read in one step, so none falls
/// between the two).
/// </summary>
/// <param name="DeploymentEnds">each machine's last move into healthy or failed still kept (what <see cref="DeploymentEnd.Of"/> decides by), for a follower that starts here</param>
public sealed record FleetSnapshot(long Cursor, IReadOnlyList<MachineRecord> Machines, IReadOnlyList<MachineEvent> DeploymentEnds);
