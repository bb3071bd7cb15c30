using ImagePipeline.Builder.Caching;

namespace ImagePipeline.Builder.Tests.Caching;

/// <summary>
/// The stage cache under concurrent use, on real directories and real flocks (the kernel's locks
/// conflict between two opens of one file, so two caches in one process stand for two builds).
/// </summary>
public sealed class StageCacheTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("stage-cache-");
    private const string Digest = "0123456789abcdef0123456789abcdef";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => root.Delete(recursive: true);

    private static Func<string, Task> Writes(string content) => dir => File.WriteAllTextAsync(Path.Combine(dir, "tree"), content, Ct);

    [Fact]
    public async Task A_replaced_entry_stays_whole_for_the_build_using_it_and_is_collected_once_that_build_ends()
    {
        using var running = new StageCache(root.FullName);
        var (old, _) = await running.GetOrCreateAsync("base", Digest, Writes("old"), cancellationToken: Ct);

        using (var emergency = new StageCache(root.FullName))
        {
            var (fresh, hit) = await emergency.GetOrCreateAsync("base", Digest, Writes("fresh"), replace: true, cancellationToken: Ct);

            hit.ShouldBeFalse();
            fresh.ShouldNotBe(old);
            (await File.ReadAllTextAsync(Path.Combine(old, "tree"), Ct)).ShouldBe("old", "the running build's base is untouched");
        }

        using (var next = new StageCache(root.FullName))
        {
            var (found, hit) = await next.GetOrCreateAsync("base", Digest, Writes("never"), cancellationToken: Ct);
            hit.ShouldBeTrue();
            (await File.ReadAllTextAsync(Path.Combine(found, "tree"), Ct)).ShouldBe("fresh");
        }

        var whileRunning = StageCache.Collect(root.FullName, TimeSpan.FromDays(7));
        Directory.Exists(old).ShouldBeTrue();
        whileRunning.InUse.ShouldBe(1);
        running.Dispose();
        var after = StageCache.Collect(root.FullName, TimeSpan.FromDays(7));

        after.Removed.ShouldBe(1);
        Directory.Exists(old).ShouldBeFalse();
        new StageCache(root.FullName).Contains("base", Digest).ShouldBeTrue("the fresh entry was used a moment ago");
    }

    [Fact]
    public async Task Entries_unused_for_the_given_time_are_collected_and_never_found_half_removed()
    {
        using (var build = new StageCache(root.FullName))
            await build.GetOrCreateAsync("rootfs", Digest, Writes("x"), cancellationToken: Ct);
        using var holder = new StageCache(root.FullName);
        await holder.GetOrCreateAsync("disk", Digest, Writes("y"), cancellationToken: Ct);

        var report = StageCache.Collect(root.FullName, TimeSpan.Zero);

        report.Removed.ShouldBe(1);
        report.InUse.ShouldBe(1);
        report.BytesFreed.ShouldBeGreaterThan(0);
        var cache = new StageCache(root.FullName);
        cache.Contains("rootfs", Digest).ShouldBeFalse("its name goes with it");
        cache.Contains("disk", Digest).ShouldBeTrue("a build holds it");
        Directory.GetFileSystemEntries(Path.Combine(root.FullName, "rootfs")).Where(e => !e.EndsWith(".entries", StringComparison.Ordinal)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_temporary_of_a_build_that_died_is_removed_and_one_of_a_live_build_is_not()
    {
        var entries = Path.Combine(root.FullName, "rootfs", ".entries");
        var live = TemporaryDirectory.Create(entries, ".tmp");
        var dead = TemporaryDirectory.Create(entries, ".tmp");
        // A dead process's lease is free: release it without the owner's cleanup.
        typeof(TemporaryDirectory).GetField("lease", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(dead)
            .ShouldBeOfType<FileLease>().Dispose();

        using var cache = new StageCache(root.FullName);
        await cache.GetOrCreateAsync("rootfs", Digest, Writes("x"), cancellationToken: Ct);

        Directory.Exists(dead.Path).ShouldBeFalse();
        Directory.Exists(live.Path).ShouldBeTrue("its build is still writing it");
        live.Dispose();
        Directory.Exists(live.Path).ShouldBeFalse();
    }

    [Fact]
    public async Task Two_builds_making_the_same_entry_at_once_end_with_one_entry_both_use()
    {
        using var first = new StageCache(root.FullName);
        using var second = new StageCache(root.FullName);
        var gate = new TaskCompletionSource();
        async Task Slow(string dir)
        {
            await gate.Task;
            await File.WriteAllTextAsync(Path.Combine(dir, "tree"), "same", Ct);
        }

        var a = first.GetOrCreateAsync("disk", Digest, Slow, cancellationToken: Ct);
        var b = second.GetOrCreateAsync("disk", Digest, Slow, cancellationToken: Ct);
        gate.SetResult();
        var results = await Task.WhenAll(a, b);

        results[0].Path.ShouldBe(results[1].Path);
        Directory.GetDirectories(Path.Combine(root.FullName, "disk", ".entries")).Where(d => !Path.GetFileName(d).StartsWith('.')).Count().ShouldBe(1);
    }

    [Fact]
    public async Task A_directory_of_the_older_layout_is_still_a_hit_and_a_replacement_moves_it_aside()
    {
        var legacy = Directory.CreateDirectory(Path.Combine(root.FullName, "base", Digest)).FullName;
        await File.WriteAllTextAsync(Path.Combine(legacy, "tree"), "legacy", Ct);

        using var cache = new StageCache(root.FullName);
        var (found, hit) = await cache.GetOrCreateAsync("base", Digest, Writes("never"), cancellationToken: Ct);
        var (fresh, _) = await cache.GetOrCreateAsync("base", Digest, Writes("fresh"), replace: true, cancellationToken: Ct);

        hit.ShouldBeTrue();
        found.ShouldBe(legacy);
        (await File.ReadAllTextAsync(Path.Combine(root.FullName, "base", Digest, "tree"), Ct)).ShouldBe("fresh");
        fresh.ShouldStartWith(Path.Combine(root.FullName, "base", ".entries"));
    }
}
