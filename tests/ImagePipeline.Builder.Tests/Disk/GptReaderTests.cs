using ImagePipeline.Builder.Disk;

namespace ImagePipeline.Builder.Tests.Disk;

public sealed class GptReaderTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("gpt-tests-");

    public void Dispose() => dir.Delete(recursive: true);

    private async Task<string> MakeDiskAsync(string script)
    {
        var path = Path.Combine(dir.FullName, "disk.img");
        await using (var file = File.Create(path))
            file.SetLength(16 << 20);
        var result = await CliWrap.Cli.Wrap("sfdisk").WithArguments(["--no-reread", "--no-tell-kernel", path])
            .WithStandardInputPipe(CliWrap.PipeSource.FromString(script))
            .WithValidation(CliWrap.CommandResultValidation.None)
            .ExecuteAsync(TestContext.Current.CancellationToken);
        result.ExitCode.ShouldBe(0);
        return path;
    }

    [Fact]
    public async Task A_table_written_by_sfdisk_is_read_back_exactly()
    {
        var path = await MakeDiskAsync("""
            label: gpt
            label-id: 11111111-2222-3333-4444-555555555555
            start=2048, size=4096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=AAAAAAAA-0000-0000-0000-000000000001, name="first"
            start=8192, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=AAAAAAAA-0000-0000-0000-000000000002, name="second"
            """);

        var table = GptReader.Read(path);

        table.DiskGuid.ShouldBe(Guid.Parse("11111111-2222-3333-4444-555555555555"));
        table.Partitions.Count.ShouldBe(2);
        table.Partitions[0].ShouldBe(new GptPartition(1, GptPartition.EfiSystem, Guid.Parse("AAAAAAAA-0000-0000-0000-000000000001"), 2048, 6143, 0, "first"));
        table.Partitions[1].FirstLba.ShouldBe(8192);
        table.Partitions[1].LastLba.ShouldBeLessThanOrEqualTo(table.LastUsableLba);
        ((table.Partitions[1].LastLba + 1) % 2048).ShouldBe(0, "sfdisk ends the last partition on a 1 MiB boundary");
        table.Partitions[1].Name.ShouldBe("second");
        table.BackupHeaderLba.ShouldBe((16 << 20) / 512 - 1);
    }

    [Fact]
    public async Task A_corrupted_header_is_refused_by_its_checksum()
    {
        var path = await MakeDiskAsync("label: gpt\nstart=2048, size=2048, type=L\n");
        await using (var file = File.OpenWrite(path))
        {
            file.Position = 512 + 40; // first usable LBA in the primary header
            file.WriteByte(0x7F);
        }

        Should.Throw<GptFormatException>(() => GptReader.Read(path)).Message.ShouldContain("primary GPT header's CRC32");
    }

    [Fact]
    public async Task A_corrupted_entry_array_is_refused()
    {
        var path = await MakeDiskAsync("label: gpt\nstart=2048, size=2048, type=L\n");
        await using (var file = File.OpenWrite(path))
        {
            file.Position = 1024 + 40; // last LBA of entry 1
            file.WriteByte(0x01);
        }

        Should.Throw<GptFormatException>(() => GptReader.Read(path)).Message.ShouldContain("entry array's CRC32");
    }

    [Fact]
    public async Task A_disk_without_gpt_is_refused_with_a_reason()
    {
        var path = await MakeDiskAsync("label: dos\nstart=2048, size=2048, type=83\n");

        Should.Throw<GptFormatException>(() => GptReader.Read(path)).Message.ShouldContain("not the protective 0xEE");
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value() =>
        Crc32.Compute("123456789"u8).ShouldBe(0xCBF43926u);
}
