namespace ImagePipeline.Server.Fleet;

/// <summary>A machine as the boot service's inventory API reports it (the fields a deployment follows).</summary>
public sealed record FleetMachine(string Mac, string State, string? DesiredImage, string? CurrentImage, string? Address, string? Firmware, string? LastError, DateTimeOffset UpdatedAt);
