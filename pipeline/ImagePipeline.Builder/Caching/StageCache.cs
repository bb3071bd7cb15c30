using System.Runtime.InteropServices;

namespace ImagePipeline.Builder.Caching;

/// <summary>
/// Stage outputs keyed by the digest of their inputs. <c>DATA/cache/STAGE/DIGEST</c> is a
/// symlink to the entry, <c>STAGE/.entries/DIGEST-ID</c>, a directory that is never changed,
/// renamed or replaced while it exists:
/// <list type="bullet">
/// <item>an entry appears only complete: it is produced in a <see cref="TemporaryDirectory"/> and
/// renamed into place, and the symlink is made after; a half-written or half-removed directory is
/// never reachable by its digest;</item>
/// <item>a build holds a shared <see cref="FileLease"/> on every entry it uses (<c>.lease</c>
/// inside it) until it ends, so nothing removes a base that another build has as its overlay's
/// lower layer;</item>
/// <item>a replacement (<c>--refresh</c>, an emergency rebuild's fresh base) is a new entry and
/// a new symlink swapped in by rename: builds on the old one keep it, whole, until they end;</item>
/// <item><see cref="Collect"/> removes what nobody holds: entries no symlink names any more, and
/// entries unused for a given time. Liveness is the lease, never a process id, so servers on
/// other hosts sharing the data directory are safe too.</item>
/// </list>
/// Directories of the older layout (a plain directory at <c>STAGE/DIGEST</c>) are still used and
/// collected the same way.
/// </summary>
public sealed partial class StageCache(string root) : IDisposable
{
    public const string LeaseFile = ".lease";
    private const string EntriesDirectory = ".entries";
    private const string TemporaryPrefix = ".tmp";
    private const string TrashPrefix = ".trash";

    private readonly List<FileLease> leases = [];
    private readonly Lock gate = new();

    public string Root { get; } = root;

    /// <summary>The name an entry is reached by (a symlink, or a directory of the older layout).</summary>
    public string PathOf(string stage, string digest) => Path.Combine(Root, stage, digest);

    public bool Contains(string stage, string digest) => Directory.Exists(PathOf(stage, digest));

    /// <summary>
    /// The entry for <paramref name="digest"/>, leased for this cache's lifetime (the build's):
    /// found, or made by <paramref name="produce"/> into a fresh directory. With
    /// <paramref name="replace"/> a new entry is always made and takes the digest's name; builds
    /// that hold the old one keep it. The path returned is the entry's own, stable for the build.
    /// </summary>
    public async Task<(string Path, bool Hit)> GetOrCreateAsync(string stage, string digest, Func<string, Task> produce, bool replace = false,
        CancellationToken cancellationToken = default)
    {
        var name = PathOf(stage, digest);
        if (!replace && await UseAsync(name, cancellationToken) is { } found)
            return (found, true);

        var entries = Path.Combine(Root, stage, EntriesDirectory);
        TemporaryDirectory.RemoveAbandoned(entries, TemporaryPrefix);
        var entry = Path.Combine(entries, $"{digest}-{Guid.NewGuid():N}");
        using (var temporary = TemporaryDirectory.Create(entries, TemporaryPrefix))
        {
            await produce(temporary.Path);
            Directory.Move(temporary.Path, entry);
        }

        var lease = FileLease.TryAcquire(Path.Combine(entry, LeaseFile), exclusive: false)!;
        Hold(lease);
        var target = Path.Combine(EntriesDirectory, Path.GetFileName(entry));
        if (replace)
        {
            if (Directory.Exists(name) && new DirectoryInfo(name).LinkTarget is null)
                Directory.Move(name, Path.Combine(entries, $"{digest}-replaced-{Guid.NewGuid():N}"));
            var link = Path.Combine(Root, stage, $"{TemporaryPrefix}-link-{Guid.NewGuid():N}");
            File.CreateSymbolicLink(link, target);
            // rename(2) replaces the old symlink in one step (File.Move would follow the link).
            if (rename(link, name) != 0)
                throw new IOException($"cannot replace {name}: {Marshal.GetLastPInvokeErrorMessage()}");
            return (entry, false);
        }

        try
        {
            File.CreateSymbolicLink(name, target);
            return (entry, false);
        }
        catch (IOException) when (new FileInfo(name).LinkTarget is not null || Directory.Exists(name))
        {
            // Another build published the same digest first: its output is the same; use it, drop ours.
            Release(lease);
            TryDelete(entry);
            if (await UseAsync(name, cancellationToken) is { } theirs)
                return (theirs, true);
            throw;
        }
    }

    /// <summary>The entry a name leads to, leased; null when there is none (or it was just collected).</summary>
    private async Task<string?> UseAsync(string name, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var info = new DirectoryInfo(name);
            var entry = info.LinkTarget is { } target ? Path.GetFullPath(target, Path.GetDirectoryName(name)!) : info.Exists ? name : null;
            if (entry is null || !Directory.Exists(entry))
                return null;
            FileLease lease;
            try
            {
                // Waits while a collection holds it; that collection then removes it, and the name with it.
                lease = await FileLease.AcquireAsync(Path.Combine(entry, LeaseFile), exclusive: false, cancellationToken);
            }
            catch (IOException) when (!Directory.Exists(entry))
            {
                continue;
            }

            if (!Directory.Exists(entry))
            {
                lease.Dispose();
                continue;
            }

            File.SetLastWriteTimeUtc(Path.Combine(entry, LeaseFile), DateTime.UtcNow);
            Hold(lease);
            return entry;
        }

        return null;
    }

    /// <summary>
    /// Removes every entry no build holds that is no longer named by its digest (replaced, or the
    /// loser of a race), or was last used before <paramref name="unusedFor"/> ago; and what dead
    /// builds left (temporaries, half-removed trash). Entries in use are left alone and counted.
    /// </summary>
    public static CollectionReport Collect(string root, TimeSpan unusedFor)
    {
        var report = new CollectionReport();
        if (!Directory.Exists(root))
            return report;
        var cutoff = DateTime.UtcNow - unusedFor;
        foreach (var stageDirectory in Directory.EnumerateDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.')))
        {
            var entries = Path.Combine(stageDirectory, EntriesDirectory);
            report.Removed += TemporaryDirectory.RemoveAbandoned(entries, TemporaryPrefix);
            // The names: symlinks to entries, and directories of the older layout.
            var named = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var name in Directory.EnumerateFileSystemEntries(stageDirectory).Where(n => !Path.GetFileName(n).StartsWith('.')))
            {
                var target = new FileInfo(name).LinkTarget;
                var entry = target is null ? name : Path.GetFullPath(target, stageDirectory);
                if (target is not null && !Directory.Exists(entry))
                {
                    File.Delete(name); // dangling: its entry is gone
                    continue;
                }

                if (!named.TryGetValue(entry, out var names))
                    named[entry] = names = [];
                names.Add(name);
            }

            var candidates = named.Keys.Concat(Directory.Exists(entries)
                ? Directory.EnumerateDirectories(entries).Where(e => !Path.GetFileName(e).StartsWith('.') && !named.ContainsKey(e))
                : []).ToList();
            foreach (var entry in candidates)
            {
                var isNamed = named.TryGetValue(entry, out var names);
                var leasePath = Path.Combine(entry, LeaseFile);
                var lastUsed = File.Exists(leasePath) ? File.GetLastWriteTimeUtc(leasePath) : Directory.GetLastWriteTimeUtc(entry);
                if (isNamed && lastUsed >= cutoff)
                    continue;
                using var exclusive = FileLease.TryAcquire(leasePath, exclusive: true);
                if (exclusive is null)
                {
                    report.InUse++;
                    continue;
                }

                // Held exclusively: no build can start using it now. The name goes first, then the directory (renamed away, so never seen half-removed).
                foreach (var name in names ?? [])
                {
                    if (new FileInfo(name).LinkTarget is not null)
                        File.Delete(name);
                }

                var bytes = SizeOf(entry);
                var trash = Path.Combine(stageDirectory, $"{TrashPrefix}-{Guid.NewGuid():N}");
                Directory.Move(entry, trash);
                TryDelete(trash);
                report.Removed++;
                report.BytesFreed += bytes;
            }

            foreach (var trash in Directory.EnumerateDirectories(stageDirectory, TrashPrefix + "-*"))
                TryDelete(trash);
        }

        return report;
    }

    private static long SizeOf(string directory)
    {
        try
        {
            return new DirectoryInfo(directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })
                .Where(f => f.LinkTarget is null).Sum(f => f.Length);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private void Hold(FileLease lease)
    {
        lock (gate)
            leases.Add(lease);
    }

    private void Release(FileLease lease)
    {
        lock (gate)
            leases.Remove(lease);
        lease.Dispose();
    }

    /// <summary>Releases the entries this build used: from now on a collection may remove them.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            foreach (var lease in leases)
                lease.Dispose();
            leases.Clear();
        }
    }

    /// <summary>
    /// Host-local temporaries (in /dev/shm) of processes that no longer run. Their names carry the
    /// owner's process id as the third '-'-separated field; only for directories no other host sees.
    /// </summary>
    internal static void RemoveStaleLocalTemporaries(string directory, string pattern)
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

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int rename(string from, string to);
}
