namespace ImagePipeline.BootService.Inventory;

/// <summary>One entry of a machine's history: a state change or something worth an operator's eye.</summary>
public sealed record MachineEvent(long Id, string MachineId, DateTimeOffset At, string Kind, MachineState? From, MachineState? To, string Detail);
