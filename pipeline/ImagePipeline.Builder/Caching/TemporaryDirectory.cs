namespace ImagePipeline.Builder.Caching;

/// <summary>
/// A directory a build is writing (a stage's output before it is published, an image's staging
/// directory), with a lease held on a sibling file <c>NAME.lease</c> while its owner lives. A
/// temporary whose lease is free belongs to a build that died — on this host or any other sharing
/// the data directory — and is removed by <see cref="RemoveAbandoned"/>; one in use never is.
/// </summary>
public sealed class TemporaryDirectory : IDisposable
{
    private readonly FileLease lease;

    private TemporaryDirectory(string path, FileLease lease)
    {
        Path = path;
        this.lease = lease;
    }

    public string Path { get; }

    public static TemporaryDirectory Create(string parent, string prefix)
    {
        Directory.CreateDirectory(parent);
        var path = System.IO.Path.Combine(parent, $"{prefix}-{Guid.NewGuid():N}");
        var lease = FileLease.TryAcquire(path + ".lease", exclusive: true) ?? throw new IOException($"{path}.lease is locked by another process: a name collision that should not happen");
        Directory.CreateDirectory(path);
        return new TemporaryDirectory(path, lease);
    }

    /// <summary>Removes what is left of it (nothing once it was published by a rename) and its lease.</summary>
    public void Dispose()
    {
        StageCache.TryDelete(Path);
        lease.Dispose();
        TryDeleteFile(Path + ".lease");
    }

    /// <summary>
    /// Temporaries in <paramref name="parent"/> named <paramref name="prefix"/>-* whose owner is
    /// gone: their lease can be taken. One from before leases (no lease file) counts as gone once
    /// it is a day old.
    /// </summary>
    public static int RemoveAbandoned(string parent, string prefix)
    {
        if (!Directory.Exists(parent))
            return 0;
        var removed = 0;
        foreach (var directory in Directory.EnumerateDirectories(parent, prefix + "-*"))
        {
            var leasePath = directory + ".lease";
            if (!File.Exists(leasePath))
            {
                if (Directory.GetLastWriteTimeUtc(directory) < DateTime.UtcNow.AddDays(-1))
                {
                    StageCache.TryDelete(directory);
                    removed++;
                }

                continue;
            }

            using var owner = FileLease.TryAcquire(leasePath, exclusive: true);
            if (owner is null)
                continue;
            StageCache.TryDelete(directory);
            TryDeleteFile(leasePath);
            removed++;
        }

        // Leases whose directory was published or removed, left by a process killed in between.
        foreach (var orphan in Directory.EnumerateFiles(parent, prefix + "-*.lease").Where(f => !Directory.Exists(f[..^".lease".Length])))
        {
            using var owner = FileLease.TryAcquire(orphan, exclusive: true);
            if (owner is not null)
                TryDeleteFile(orphan);
        }

        return removed;
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
