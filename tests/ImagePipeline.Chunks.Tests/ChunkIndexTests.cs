using ImagePipeline.Chunks;

namespace ImagePipeline.Chunks.Tests;

public sealed class ChunkIndexTests
{
    private static readonly ChunkIndex Index = new(100_000,
    [
        new Chunk(0, 70_000, new string('a', 64)),
        new Chunk(70_000, 30_000, new string('b', 64)),
    ]);

    [Fact]
    public void An_index_reads_back_as_written()
    {
        var bytes = Index.ToBytes();

        bytes.Length.ShouldBe(20 + 2 * 36);
        var back = ChunkIndex.Parse(bytes);
        back.DiskLength.ShouldBe(100_000);
        back.Chunks.ShouldBe(Index.Chunks);
        back.Sha256().ShouldBe(Index.Sha256());
    }

    [Fact]
    public void A_damaged_index_is_refused_with_what_is_wrong()
    {
        var bytes = Index.ToBytes();
        Should.Throw<FormatException>(() => ChunkIndex.Parse(bytes.AsSpan(0, bytes.Length - 1))).Message.ShouldContain("cannot hold 2 chunks");
        var notOne = (byte[])bytes.Clone();
        notOne[0] = (byte)'X';
        Should.Throw<FormatException>(() => ChunkIndex.Parse(notOne)).Message.ShouldContain("not a chunk index");
        var wrongLength = (byte[])bytes.Clone();
        wrongLength[8] ^= 1;
        Should.Throw<FormatException>(() => ChunkIndex.Parse(wrongLength)).Message.ShouldContain("the chunks add up to 100000 bytes");
    }
}
