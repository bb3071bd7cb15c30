namespace ImagePipeline.Server.Fleet;

/// <summary>One entry of a machine's history in the boot service (kind: a state such as deploying or healthy, or registered, desired-image, netboot).</summary>
public sealed record FleetEvent(DateTimeOffset At, string Kind, string Detail);
