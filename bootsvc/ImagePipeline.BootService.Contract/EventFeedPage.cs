namespace ImagePipeline.BootService.Contract;

/// <summary>
/// <c>GET /api/v1/events?after=CURSOR&amp;limit=N&amp;wait=SECONDS</c>: the boot service's events
/// after a cursor, oldest first, without a gap: every event with an id above the cursor and up to
/// the last one here was written, and none is left out. A consumer keeps <see cref="Cursor"/> and
/// asks again from it. A cursor the log no longer reaches (older events dropped by retention, or a
/// boot database newer than the cursor's) is answered 410 Gone: the consumer starts again from a
/// <see cref="FleetSnapshot"/>.
/// </summary>
/// <param name="Cursor">where to ask from next: the last event's id here, or the cursor asked from when there was none</param>
/// <param name="Machines">the machines these events are about, each as it is at <paramref name="Cursor"/> (read in the same step): a follower keeps the fleet's state without asking per machine</param>
public sealed record EventFeedPage(IReadOnlyList<MachineEvent> Events, long Cursor, IReadOnlyList<MachineRecord> Machines);
