using CliWrap;
using ImagePipeline.Builder.Disk;

namespace ImagePipeline.Builder.Tests.Disk;

/// <summary>What a failed reproducibility check says: which partitions differ, by how much, from where.</summary>
public sealed class DiskDifferenceTests : IDisposable
{
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("imagepipe-disk-diff-");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Differing_blocks_are_counted_per_partition_with_the_first_differing_byte()
    {
        var first = Path.Combine(scratch.FullName, "first.raw");
        await File.WriteAllBytesAsync(first, new byte[8 << 20], Ct);
        await CliWrap.Cli.Wrap("sfdisk").WithArguments(["-q", first])
            .WithStandardInputPipe(PipeSource.FromString("label: gpt\nstart=2048, size=4096, type=uefi, name=esp\nstart=6144, size=8192, type=linux, name=var\n"))
            .ExecuteAsync(Ct);
        var second = Path.Combine(scratch.FullName, "second.raw");
        var bytes = await File.ReadAllBytesAsync(first, Ct);
        (await DiskDifference.DescribeAsync(first, first, Ct)).ShouldBe("no byte differs");
        bytes[2048 * 512 + 10] ^= 1;
        bytes[2048 * 512 + 8192 + 1] ^= 1;
        bytes[6144 * 512 + 4096 * 7 + 100] ^= 1;
        await File.WriteAllBytesAsync(second, bytes, Ct);

        var described = await DiskDifference.DescribeAsync(first, second, Ct);

        described.ShouldBe($"partition 1 (esp): 2 blocks of 4 KiB, first at byte {2048 * 512 + 10}; partition 2 (var): 1 blocks of 4 KiB, first at byte {6144 * 512 + 4096 * 7 + 100}");
    }

    public void Dispose() => scratch.Delete(recursive: true);
}
