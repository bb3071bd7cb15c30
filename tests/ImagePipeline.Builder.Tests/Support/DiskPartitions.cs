using ImagePipeline.Builder.Disk;

namespace ImagePipeline.Builder.Tests.Support;

/// <summary>Copies one partition of a raw disk into a file, for fsck, debugfs and mtools to read.</summary>
public static class DiskPartitions
{
    public static string Extract(string disk, GptPartition partition, string path)
    {
        using var input = File.OpenRead(disk);
        using var output = File.Create(path);
        input.Position = partition.FirstLba * 512;
        var remaining = partition.SectorCount * 512;
        var buffer = new byte[1 << 20];
        while (remaining > 0)
        {
            var read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            output.Write(buffer, 0, read);
            remaining -= read;
        }

        return path;
    }
}
