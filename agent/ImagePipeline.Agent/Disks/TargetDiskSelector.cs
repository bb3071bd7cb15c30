using ImagePipeline.Agent.Protocol;
using ImagePipeline.Agent.Writing;

namespace ImagePipeline.Agent.Disks;

/// <summary>
/// Picks the disk to write. An explicit serial or device path names it; otherwise the smallest
/// non-removable disk the image fits on (the boot disk of a server is usually its smallest; data
/// disks are larger). Removable, too small and mounted disks are never chosen, and a refusal
/// lists every disk with the reason it was passed over.
/// </summary>
public static class TargetDiskSelector
{
    public static DiskFacts Select(IReadOnlyList<DiskFacts> disks, TargetDiskRule rule, long imageBytes, IReadOnlySet<string> mountedDisks)
    {
        var reasons = disks.ToDictionary(d => d.Name, d => Disqualification(d, imageBytes, mountedDisks), StringComparer.Ordinal);
        if (rule.Serial is not null || rule.Path is not null)
        {
            var named = disks.FirstOrDefault(d => (rule.Serial is not null && d.Serial == rule.Serial)
                || (rule.Path is not null && (rule.Path == "/dev/" + d.Name || rule.Path == d.Name)));
            if (named is null)
                throw new DeployRefusedException($"no disk matches {(rule.Serial is null ? $"path {rule.Path}" : $"serial {rule.Serial}")}; disks here: {Describe(disks, reasons)}");
            return reasons[named.Name] is { } why
                ? throw new DeployRefusedException($"the disk the assignment names, {named.Name}, cannot be written: {why}")
                : named;
        }

        var choice = disks.Where(d => reasons[d.Name] is null).OrderBy(d => d.SizeBytes).ThenBy(d => d.Name, StringComparer.Ordinal).FirstOrDefault();
        return choice ?? throw new DeployRefusedException(disks.Count == 0
            ? "this machine has no disks the kernel can see; check the storage drivers of the deploy environment"
            : $"no disk can take a {imageBytes >> 20} MiB image: {Describe(disks, reasons)}");
    }

    private static string? Disqualification(DiskFacts disk, long imageBytes, IReadOnlySet<string> mounted) =>
        disk.Removable ? "removable"
        : mounted.Contains(disk.Name) ? "mounted"
        : disk.SizeBytes < imageBytes ? $"too small ({disk.SizeBytes >> 20} MiB)"
        : null;

    private static string Describe(IReadOnlyList<DiskFacts> disks, Dictionary<string, string?> reasons) =>
        string.Join("; ", disks.Select(d => $"{d.Name} {d.SizeBytes >> 20} MiB{(d.Serial is null ? "" : $" serial {d.Serial}")}: {reasons[d.Name] ?? "eligible"}"));
}
