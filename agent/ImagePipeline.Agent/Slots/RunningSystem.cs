using ImagePipeline.Agent.Deploy;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Agent.Hardware;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Slots;

/// <summary>
/// The system the in-image agent runs in: the disk the deploy agent wrote (the one that carries
/// <see cref="AgentConfigBlock"/>), its partitions, and the slot it booted from
/// (<see cref="SlotBoot.SlotArgument"/> on the kernel command line; null for an image without slots).
/// </summary>
public sealed record RunningSystem(string Disk, AgentConfig Config, IReadOnlyList<GptEntry> Partitions, string? Slot)
{
    /// <summary>The deployed disk, or null when no disk carries an agent configuration (not deployed by a boot service).</summary>
    public static RunningSystem? Find(string commandLine)
    {
        var slot = SlotOf(commandLine);
        foreach (var disk in new HardwareFactsReader().ReadDisks())
        {
            try
            {
                using var device = BlockDevice.Open($"/dev/{disk.Name}");
                if (AgentConfigBlock.Read(device) is { } config)
                    return new RunningSystem($"/dev/{disk.Name}", config, PartitionTable.ReadEntries(device) ?? [], slot);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    public static string? SlotOf(string commandLine) =>
        commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(a => a.Split('=', 2))
            .LastOrDefault(kv => kv.Length == 2 && kv[0] == SlotBoot.SlotArgument)?[1] is { } slot && SlotBoot.Slots.Contains(slot) ? slot : null;

    public GptEntry? Partition(string name) => Partitions.FirstOrDefault(p => p.Name == name);

    /// <summary>The ESP's device node.</summary>
    public string EspDevice() => Mounts.PartitionDevice(Disk, (Partitions.FirstOrDefault(p => p.Name == "ESP") ?? throw new IOException($"{Disk} has no partition named ESP")).Number);

    /// <summary>Rewrites the agent configuration on the disk (its 4 KiB block in the first MiB's gap, outside every partition).</summary>
    public RunningSystem WithConfig(AgentConfig config)
    {
        using var device = BlockDevice.Open(Disk);
        var head = new byte[AgentConfigBlock.Offset + AgentConfigBlock.Size];
        AgentConfigBlock.Write(head, config);
        device.Write(AgentConfigBlock.Offset, head.AsSpan((int)AgentConfigBlock.Offset, AgentConfigBlock.Size));
        device.Flush();
        return this with { Config = config };
    }
}
