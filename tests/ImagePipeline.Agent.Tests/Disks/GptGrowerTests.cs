using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using ImagePipeline.Agent.Disks;

namespace ImagePipeline.Agent.Tests.Disks;

/// <summary>Growing the root partition of a GPT image written to a larger disk, checked by util-linux's sfdisk.</summary>
public sealed class GptGrowerTests : IDisposable
{
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("imagepipe-gpt-grow-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> ImageAsync(int mebibytes)
    {
        var path = Path.Combine(scratch.FullName, "image.raw");
        await File.WriteAllBytesAsync(path, new byte[mebibytes << 20], Ct);
        var layout = "label: gpt\nstart=2048, size=16MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\nstart=34816, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709\n";
        await Cli.Wrap("sfdisk").WithArguments(["-q", path]).WithStandardInputPipe(PipeSource.FromString(layout)).ExecuteBufferedAsync(Ct);
        return path;
    }

    /// <summary>The image writer's order: the first MiB is edited in memory (the backup GPT goes to the disk's end at once), then written last.</summary>
    private static int? GrowAsTheWriterDoes(string path, long length)
    {
        using var device = BlockDevice.Open(path, length);
        var head = new byte[1 << 20];
        device.Read(0, head).ShouldBe(head.Length);
        var grown = GptGrower.Grow(head, device);
        if (grown is not null)
            device.Write(0, head);
        device.Flush();
        return grown;
    }

    [Fact]
    public async Task The_last_partition_grows_to_the_end_of_a_larger_disk_and_both_headers_verify()
    {
        var image = await ImageAsync(64);
        var disk = Path.Combine(scratch.FullName, "disk.raw");
        File.Copy(image, disk);
        await using (var grow = File.OpenWrite(disk))
            grow.SetLength(256L << 20);

        var grown = GrowAsTheWriterDoes(disk, 256L << 20);

        grown.ShouldBe(2);
        var verify = await Cli.Wrap("sfdisk").WithArguments(["--verify", disk]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(Ct);
        verify.ExitCode.ShouldBe(0, verify.StandardOutput + verify.StandardError);
        verify.StandardOutput.ShouldNotContain("backup");
        var json = await Cli.Wrap("sfdisk").WithArguments(["-J", disk]).ExecuteBufferedAsync(Ct);
        var table = JsonDocument.Parse(json.StandardOutput).RootElement.GetProperty("partitiontable");
        var root = table.GetProperty("partitions")[1];
        (root.GetProperty("start").GetInt64() + root.GetProperty("size").GetInt64() - 1).ShouldBe((256L << 20) / 512 - 34);
        table.GetProperty("lastlba").GetInt64().ShouldBe((256L << 20) / 512 - 34);
    }

    [Fact]
    public async Task A_disk_no_larger_than_the_image_is_left_alone()
    {
        var image = await ImageAsync(64);
        var before = await File.ReadAllBytesAsync(image, Ct);

        var grown = GrowAsTheWriterDoes(image, 64L << 20);

        grown.ShouldBeNull();
        (await File.ReadAllBytesAsync(image, Ct)).ShouldBe(before);
    }

    public void Dispose() => scratch.Delete(recursive: true);
}
