using ImagePipeline.Server.State;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Jobs;

/// <summary>
/// The artifact store's collection: an image directory goes only when nothing of the pipeline
/// refers to it — no image version (whatever its channel, candidates included), no rollout (its
/// image, or any machine's previous image, the rollback target), no run still at work — and it
/// is older than the retention (a failed validation's image and its evidence stay that long).
/// A directory is renamed away before it is removed, so no reader ever sees half an image.
/// </summary>
public static class ArtifactCollector
{
    public static async Task<(int Removed, long BytesFreed)> CollectAsync(PipelineDb db, string artifactsRoot, TimeSpan retention, DateTime now, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(artifactsRoot))
            return (0, 0);
        var kept = new HashSet<string>(StringComparer.Ordinal);
        kept.UnionWith(await db.Images.Select(i => i.ImageId).ToListAsync(cancellationToken));
        kept.UnionWith(await db.Rollouts.Select(r => r.ImageId).ToListAsync(cancellationToken));
        kept.UnionWith(await db.Set<RolloutTarget>().Where(t => t.PreviousImage != null).Select(t => t.PreviousImage!).ToListAsync(cancellationToken));
        kept.UnionWith(await db.Runs.Where(r => r.ImageId != null && (r.State == RunState.Queued || r.State == RunState.Building || r.State == RunState.Validating))
            .Select(r => r.ImageId!).ToListAsync(cancellationToken));
        var removed = 0;
        long bytes = 0;
        foreach (var directory in Directory.EnumerateDirectories(artifactsRoot))
        {
            var name = Path.GetFileName(directory);
            if (name.StartsWith('.') || kept.Contains(name) || Directory.GetLastWriteTimeUtc(directory) > now - retention)
                continue;
            var size = new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            var trash = Path.Combine(artifactsRoot, $".trash-{Guid.NewGuid():N}");
            Directory.Move(directory, trash);
            Directory.Delete(trash, recursive: true);
            removed++;
            bytes += size;
        }

        foreach (var trash in Directory.EnumerateDirectories(artifactsRoot, ".trash-*"))
            Directory.Delete(trash, recursive: true);
        return (removed, bytes);
    }
}
