using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using ImagePipeline.Agent.Delta;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.Agent.Writing;
using ImagePipeline.Chunks;

namespace ImagePipeline.Agent.Slots;

/// <summary>
/// An in-place update of a running machine: the new image's root (slot A of its disk, as built)
/// goes into this disk's inactive slot by delta — chunks the running slot holds are copied (each
/// hashed again as it is read), the rest fetched and checked against the image's signed index —
/// then read back chunk by chunk. Only the running slot is searched: it holds the image the new
/// one patches, and reading the rest of the disk (the ESP, the inactive slot's older image, /var)
/// doubled the compare for a few MiB more found. Its kernel, initrd and command line come from the written root
/// itself (<see cref="SlotBootSpec"/>), so nothing the network says decides what boots. Then one
/// trial boot of the slot is armed (<see cref="SlotBootLoaders.ArmTrial"/>); the caller reboots.
/// The running slot, the ESP's other files and the partition table are never written.
/// </summary>
public sealed class SlotUpdater(DeltaWriter writer, Action<string> say)
{
    private const int HeadBytes = 1 << 20;

    /// <returns>what was written, and the slot armed for its trial boot</returns>
    public async Task<(WriteResult Result, string Slot)> UpdateAsync(RunningSystem system, string imageId, WriteRequest request, DeltaSource source,
        Action<WriteProgress>? progress, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var current = system.Slot ?? throw new DeployRefusedException($"this system was not booted from an A/B slot (no {SlotBoot.SlotArgument}= on its command line): it can only be reimaged");
        var target = SlotBoot.Other(current);
        var slot = system.Partition(SlotBoot.RootPartition(target))
            ?? throw new DeployRefusedException($"{system.Disk} has no partition {SlotBoot.RootPartition(target)}: it can only be reimaged");
        var running = system.Partition(SlotBoot.RootPartition(current))
            ?? throw new DeployRefusedException($"{system.Disk} has no partition {SlotBoot.RootPartition(current)}, the slot this system runs from");
        var index = await writer.ReadIndexAsync(request, source, say, cancellationToken)
            ?? throw new DeployRefusedException("the image's chunk index cannot be used (said above); an in-place update needs it: reimage the machine instead");

        // Where the new image keeps its root: its own partition table, from its verified chunks.
        var table = PartitionTable.ReadEntries(await writer.FetchHeadAsync(source, index, HeadBytes, say, cancellationToken))
            ?? throw new DeployRefusedException($"image {imageId} has no partition table in its first MiB");
        var root = table.FirstOrDefault(p => p.Name == SlotBoot.RootPartition("a"))
            ?? throw new DeployRefusedException($"image {imageId} has no A/B slots (no {SlotBoot.RootPartition("a")} partition): reimage the machine to change its layout");
        if (root.Length > slot.Length)
            throw new DeployRefusedException($"image {imageId}'s root slot is {root.Length >> 20} MiB, larger than this disk's {slot.Length >> 20} MiB slot: reimage the machine");
        var shift = slot.Start - root.Start;
        var chunks = index.Chunks.Where(c => c.Offset >= root.Start && c.Offset < root.End).Select(c => c with { Offset = c.Offset + shift }).ToList();
        if (chunks.Count == 0 || chunks[0].Offset != slot.Start || chunks[^1].Offset + chunks[^1].Length != slot.Start + root.Length)
            throw new DeployRefusedException($"image {imageId}'s chunk index is not cut at its root partition's bounds; it cannot be written into a slot");

        var espDevice = system.EspDevice();
        using (var esp = await Mounts.MountAsync(espDevice, "esp", writable: true, "vfat", cancellationToken))
            new SlotBootLoaders(esp.Point).Remove(target, current);
        var slotImages = new Dictionary<string, string>(system.Config.SlotImages ?? [], StringComparer.Ordinal) { [current] = system.Config.ImageIn(current) };
        slotImages.Remove(target);
        system = system.WithConfig(system.Config with { SlotImages = slotImages, TrialSlot = null });
        say($"writing image {imageId} into slot {target} ({Mounts.PartitionDevice(system.Disk, slot.Number)}, {root.Length >> 20} MiB); running from slot {current}");

        (long BytesFetched, int ChunksFetched, int ChunksReused) applied;
        using (var disk = BlockDevice.Open(system.Disk))
        {
            applied = await writer.ApplyAsync(chunks, source, disk, (running.Start, running.Length), progress, say, cancellationToken);
            VerifySlot(disk, chunks);
        }

        var slotDevice = Mounts.PartitionDevice(system.Disk, slot.Number);
        BlockDevice.DropBuffers(slotDevice);
        using (var written = await Mounts.MountAsync(slotDevice, "slot-" + target, writable: false, null, cancellationToken))
        using (var esp = await Mounts.MountAsync(espDevice, "esp", writable: true, "vfat", cancellationToken))
        {
            var spec = ReadSpec(written.Point, imageId);
            var commandLine = SlotBoot.CommandLine(spec.CommandLine, target, slot.Uuid, system.Partition("var")?.Uuid);
            var loaders = new SlotBootLoaders(esp.Point);
            loaders.Install(target, InRoot(written.Point, spec.Kernel), InRoot(written.Point, spec.Initrd), commandLine);
            loaders.ArmTrial(target, current, $"ImagePipeline {imageId[..Math.Min(12, imageId.Length)]}");
        }

        slotImages[target] = imageId;
        system.WithConfig(system.Config with { SlotImages = slotImages, TrialSlot = target });
        say($"slot {target} holds image {imageId} and is armed for one trial boot; slot {current} stays the fallback");
        return (new WriteResult(root.Length, root.Length, 0, watch.Elapsed)
        {
            Method = "in-place", BytesFetched = applied.BytesFetched, ChunksFetched = applied.ChunksFetched, ChunksReused = applied.ChunksReused,
        }, target);
    }

    /// <summary>Every chunk of the slot reads back as its digest says: the slot is the signed image's root.</summary>
    private static void VerifySlot(BlockDevice disk, IReadOnlyList<Chunk> chunks)
    {
        var buffer = new byte[GearChunker.MaximumSize];
        foreach (var chunk in chunks)
        {
            var bytes = buffer.AsSpan(0, chunk.Length);
            if (disk.Read(chunk.Offset, bytes) != chunk.Length || Convert.ToHexStringLower(SHA256.HashData(bytes)) != chunk.Sha256)
                throw new DeployRefusedException($"{disk.Path} does not read back the chunk written at byte {chunk.Offset}: the slot was not armed");
        }
    }

    private static SlotBootSpec ReadSpec(string root, string imageId)
    {
        var path = Path.Combine(root, SlotBoot.SpecPath);
        if (!File.Exists(path))
            throw new DeployRefusedException($"image {imageId}'s root has no /{SlotBoot.SpecPath}: it was not built with slots: ab");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), ProtocolJson.Default.SlotBootSpec)
                ?? throw new DeployRefusedException($"/{SlotBoot.SpecPath} in image {imageId} is empty");
        }
        catch (JsonException e)
        {
            throw new DeployRefusedException($"/{SlotBoot.SpecPath} in image {imageId} cannot be read: {e.Message}");
        }
    }

    /// <summary>A path the spec names, confined to the written root (no climbing out, no symlink).</summary>
    private static string InRoot(string root, string relative)
    {
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(root + "/", StringComparison.Ordinal) || !File.Exists(full) || new FileInfo(full).LinkTarget is not null)
            throw new DeployRefusedException($"the new root has no {relative} (named in /{SlotBoot.SpecPath})");
        return full;
    }
}
