using System.Security.Cryptography;
using System.Text;
using ImagePipeline.ArtifactStore;
using ImagePipeline.Builder.Artifacts;
using ImagePipeline.Chunks;

namespace ImagePipeline.Builder.Tests.Artifacts;

/// <summary>The chunk store's collection: only old chunks no image in the store names, and leftovers.</summary>
public sealed class ChunkStoreCollectorTests : IDisposable
{
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("imagepipe-chunk-gc-");
    private static readonly DateTime Now = DateTime.UtcNow;
    private static readonly TimeSpan Grace = TimeSpan.FromDays(1);

    private string Root => ArtifactStoreLayout.Root(data.FullName);
    private string Store => ArtifactStoreLayout.ChunkStore(data.FullName);

    private static string Digest(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    /// <summary>A chunk file in the store, written <paramref name="age"/> ago.</summary>
    private string Chunk(string digest, TimeSpan age)
    {
        var path = ArtifactStoreLayout.ChunkPath(Store, digest);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "zstd frame");
        File.SetLastWriteTimeUtc(path, Now - age);
        return path;
    }

    private void Image(string name, params string[] digests)
    {
        var directory = Directory.CreateDirectory(Path.Combine(Root, name)).FullName;
        var index = new ChunkIndex(digests.Length * 100L, [.. digests.Select((d, i) => new Chunk(i * 100L, 100, d))]);
        File.WriteAllBytes(Path.Combine(directory, ArtifactStoreLayout.ChunkIndex), index.ToBytes());
    }

    [Fact]
    public void Old_chunks_no_image_names_and_old_leftovers_go_and_everything_else_stays()
    {
        var week = TimeSpan.FromDays(7);
        Image(Digest("image-a"), Digest("shared"), Digest("only-a"));
        Image(Digest("image-b"), Digest("shared"));
        Image(".pull-half-pulled", Digest("half"));
        var shared = Chunk(Digest("shared"), week);
        var onlyA = Chunk(Digest("only-a"), week);
        var orphan = Chunk(Digest("orphan"), week);
        var half = Chunk(Digest("half"), week);
        var fresh = Chunk(Digest("written-by-a-running-build"), TimeSpan.FromMinutes(5));
        var leftover = Path.Combine(Path.GetDirectoryName(orphan)!, "x.zst.123.abc.tmp");
        File.WriteAllText(leftover, "half a chunk");
        File.SetLastWriteTimeUtc(leftover, Now - week);

        var (removed, bytes) = ChunkStoreCollector.Collect(Root, Store, Grace, Now);

        removed.ShouldBe(3);
        bytes.ShouldBeGreaterThan(0);
        File.Exists(orphan).ShouldBeFalse();
        File.Exists(half).ShouldBeFalse("a half-pulled image directory names nothing");
        File.Exists(leftover).ShouldBeFalse();
        foreach (var kept in new[] { shared, onlyA, fresh })
            File.Exists(kept).ShouldBeTrue(kept);
        Directory.EnumerateFiles(Store, "*.gc", SearchOption.AllDirectories).ShouldBeEmpty();
    }

    [Fact]
    public void An_index_that_cannot_be_read_keeps_every_chunk()
    {
        Image(Digest("image-a"), Digest("named"));
        var broken = Directory.CreateDirectory(Path.Combine(Root, Digest("broken"))).FullName;
        File.WriteAllText(Path.Combine(broken, ArtifactStoreLayout.ChunkIndex), "not an index");
        var orphan = Chunk(Digest("orphan"), TimeSpan.FromDays(30));

        ChunkStoreCollector.Collect(Root, Store, Grace, Now).ShouldBe((0, 0L));

        File.Exists(orphan).ShouldBeTrue();
    }

    public void Dispose() => data.Delete(recursive: true);
}
