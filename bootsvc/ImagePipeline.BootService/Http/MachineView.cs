using ImagePipeline.BootService.Inventory;

namespace ImagePipeline.BootService.Http;

/// <summary>A machine with its latest deploy progress, if it is deploying.</summary>
public sealed record MachineView(Machine Machine, Agent.Protocol.ProgressReport? Progress);
