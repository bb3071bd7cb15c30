using ImagePipeline.ArtifactStore;
using ImagePipeline.Chunks;

namespace ImagePipeline.Builder.Artifacts;

/// <summary>
/// The chunk store's collection, after the artifact store's: a chunk goes when no image left in the
/// store names it in its index and it was not written or reused lately. A build adds its chunks
/// before its image directory is published, and marks the chunks it finds already stored
/// (<see cref="ChunkStoreWriter"/> sets their time), so a chunk a running build needs is always
/// younger than <c>grace</c>. A chunk is renamed away and its time looked at again before it is
/// deleted: a build that marked it just before finds it young and it is put back; one that marks
/// it just after finds it gone and writes it again. An index that cannot be read keeps everything:
/// nothing is removed on a guess. Leftover temporary files older than <c>grace</c> go too.
/// </summary>
public static class ChunkStoreCollector
{
    /// <param name="grace">how long a chunk no index names is kept (longer than any build)</param>
    public static (int Removed, long BytesFreed) Collect(string artifactsRoot, string chunkStore, TimeSpan grace, DateTime now)
    {
        if (!Directory.Exists(chunkStore))
            return (0, 0);
        var named = new HashSet<string>(StringComparer.Ordinal);
        if (Directory.Exists(artifactsRoot))
        {
            foreach (var directory in Directory.EnumerateDirectories(artifactsRoot))
            {
                var index = Path.Combine(directory, ArtifactStoreLayout.ChunkIndex);
                if (Path.GetFileName(directory).StartsWith('.') || !File.Exists(index))
                    continue;
                try
                {
                    named.UnionWith(ChunkIndex.Parse(File.ReadAllBytes(index)).Chunks.Select(c => c.Sha256));
                }
                catch (Exception e) when (e is FormatException or IOException)
                {
                    return (0, 0);
                }
            }
        }

        var removed = 0;
        long bytes = 0;
        foreach (var file in new DirectoryInfo(chunkStore).EnumerateFiles("*", SearchOption.AllDirectories).ToList())
        {
            var digest = file.Name.EndsWith(".zst", StringComparison.Ordinal) ? file.Name[..^4] : null;
            var leftover = digest is null && (file.Name.EndsWith(".tmp", StringComparison.Ordinal) || file.Name.EndsWith(".pull", StringComparison.Ordinal) || file.Name.EndsWith(".gc", StringComparison.Ordinal));
            if ((digest is null && !leftover) || (digest is not null && named.Contains(digest)) || file.LastWriteTimeUtc > now - grace)
                continue;
            var size = file.Length;
            if (digest is not null && !Taken(file.FullName, now - grace))
                continue;
            if (digest is null)
                file.Delete();
            bytes += size;
            removed++;
        }

        return (removed, bytes);
    }

    /// <summary>Renames the chunk away, then looks at its time again: deleted if still old, else put back.</summary>
    private static bool Taken(string path, DateTime oldest)
    {
        var away = path + ".gc";
        try
        {
            File.Move(path, away);
        }
        catch (FileNotFoundException)
        {
            return false;
        }

        if (File.GetLastWriteTimeUtc(away) <= oldest)
        {
            File.Delete(away);
            return true;
        }

        try
        {
            File.Move(away, path);
        }
        catch (IOException) when (File.Exists(path))
        {
            // A build wrote it again meanwhile: the same bytes.
            File.Delete(away);
        }

        return false;
    }
}
