namespace ImagePipeline.Builder.Caching;

/// <summary>
/// Stage outputs keyed by the digest of their inputs, under <c>DATA/cache/STAGE/DIGEST</c>.
/// An entry appears only complete: it is produced in a temporary sibling and renamed into place,
/// so a killed build leaves at worst a temporary directory that the next build removes.
/// </summary>
public sealed class StageCache(string root)
{
    public string Root { get; } = root;

    public string PathOf(string stage, string digest) => Path.Combine(Root, stage, digest);

    public bool Contains(string stage, string digest) => Directory.Exists(PathOf(stage, digest));

    /// <summary>Runs <paramref name="produce"/> into a fresh temporary directory and publishes it as the entry, unless the entry exists.</summary>
    public async Task<(string Path, bool Hit)> GetOrCreateAsync(string stage, string digest, Func<string, Task> produce)
    {
        var final = PathOf(stage, digest);
        if (Directory.Exists(final))
            return (final, true);

        var stageDir = Path.Combine(Root, stage);
        Directory.CreateDirectory(stageDir);
        RemoveStaleTemporaries(stageDir, ".tmp-*");
        var temporary = Path.Combine(stageDir, $".tmp-{digest[..12]}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            await produce(temporary);
            Directory.Move(temporary, final);
        }
        catch (IOException) when (Directory.Exists(final))
        {
            // Another build published the same digest first: its output is the same, keep it.
            TryDelete(temporary);
            return (final, true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        return (final, false);
    }

    /// <summary>
    /// Temporaries of processes that no longer run are leftovers of a killed build. Their names
    /// carry the owner's process id as the third '-'-separated field (".tmp-DIGEST-PID-...",
    /// ".tmp-image-PID-..." counts "image" as the digest).
    /// </summary>
    internal static void RemoveStaleTemporaries(string directory, string pattern)
    {
        if (!Directory.Exists(directory))
            return;
        foreach (var dir in Directory.EnumerateDirectories(directory, pattern))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length >= 4 && int.TryParse(parts[2], out var pid) && !Directory.Exists($"/proc/{pid}"))
                TryDelete(dir);
        }
    }

    /// <summary>Deletes a directory the builder made, after unmounting anything a killed build left mounted inside it.</summary>
    internal static void TryDelete(string dir)
    {
        try
        {
            if (!Directory.Exists(dir))
                return;
            Tools.Mounts.UnmountUnder(dir);
            // A cancelled tool may still be going away and touching the directory: retry briefly.
            for (var attempt = 1; Directory.Exists(dir); attempt++)
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException) when (attempt < 50)
                {
                    Thread.Sleep(100);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
