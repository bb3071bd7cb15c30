namespace ImagePipeline.Cli.Lab;

/// <summary>One line of <c>imagepipe lab status</c>: the lab's view of a machine joined with the boot service's.</summary>
public sealed record LabStatusRow(string Id, string Profile, string Mac, string Power, string BootOverride, string State, string? CurrentImage, string? Address, string? LastError);
