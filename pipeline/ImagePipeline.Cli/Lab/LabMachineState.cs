namespace ImagePipeline.Cli.Lab;

/// <summary>One lab machine as lab.json records it.</summary>
public sealed record LabMachineState(string Id, string Profile, string Mac, string Firmware, string Nic, string Disk, int MemoryMiB, string Console);
