using System.Text;
using System.Text.Json;
using ImagePipeline.Agent.Disks;

namespace ImagePipeline.Agent.Deploy;

/// <summary>
/// Where the deploy agent leaves <see cref="AgentConfig"/> for the report agent: the last 4 KiB
/// of the disk's first MiB. Images from the builder have their first partition at 1 MiB and their
/// GPT entries end at LBA 33, so this gap is never part of a file system; writing it does not
/// touch the verified image's partitions. It is put into the first MiB after the image is verified
/// and before the writer writes that MiB, last (<see cref="Writing.HeadFinisher"/>); a disk without
/// it (an image not deployed by us) simply does not report.
/// </summary>
public static class AgentConfigBlock
{
    public const long Offset = (1 << 20) - Size;
    public const int Size = 4096;
    private static readonly byte[] Magic = "IMAGEPIPELINE-AGENT-1\n"u8.ToArray();

    /// <param name="head">the image's first MiB, before it is written to the disk</param>
    public static void Write(Span<byte> head, AgentConfig config)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(config, AgentJson.Default.AgentConfig);
        if (Magic.Length + json.Length > Size)
            throw new InvalidOperationException("the agent configuration does not fit its 4 KiB block");
        if (head.Length < Offset + Size)
            throw new InvalidOperationException($"the image is {head.Length} bytes, smaller than the 1 MiB that holds the agent's configuration");
        var block = head.Slice((int)Offset, Size);
        block.Clear();
        Magic.CopyTo(block);
        json.CopyTo(block[Magic.Length..]);
    }

    /// <summary>The configuration in a block read from a disk, or null when the block holds none.</summary>
    public static AgentConfig? Parse(ReadOnlySpan<byte> block)
    {
        if (block.Length < Size || !block.StartsWith(Magic))
            return null;
        var json = block[Magic.Length..Size];
        var end = json.IndexOf((byte)0);
        try
        {
            return JsonSerializer.Deserialize(end < 0 ? json : json[..end], AgentJson.Default.AgentConfig);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static AgentConfig? Read(IBlockDevice disk)
    {
        var block = new byte[Size];
        return disk.Length >= Offset + Size && disk.Read(Offset, block) == Size ? Parse(block) : null;
    }

    /// <summary>For logs: the block's first bytes as text.</summary>
    public static string Describe(ReadOnlySpan<byte> block) => Encoding.ASCII.GetString(block[..Math.Min(block.Length, Magic.Length)]).Trim();
}
