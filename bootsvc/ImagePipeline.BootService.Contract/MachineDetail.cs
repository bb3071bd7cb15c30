using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.BootService.Contract;

/// <summary><c>GET /api/v1/machines/MAC</c>: the machine and its agent's latest progress report while it writes.</summary>
public sealed record MachineDetail(MachineRecord Machine, ProgressReport? Progress);
