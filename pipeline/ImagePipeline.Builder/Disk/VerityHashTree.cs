using System.Text.RegularExpressions;
using ImagePipeline.Builder.Caching;

namespace ImagePipeline.Builder.Disk;

/// <summary>
/// The dm-verity hash tree of a read-only root, made by <c>veritysetup format</c> (cryptsetup) into
/// its own file, with the superblock veritysetup open reads. The salt and the superblock's UUID are
/// derived from the disk stage's digest, so the same root gives the same tree and root hash.
/// SHA-256 over 4 KiB blocks: squashfs and erofs images are whole 4 KiB blocks.
/// </summary>
public sealed partial record VerityHashTree(string RootHash, Guid Uuid)
{
    public const int BlockSize = 4096;

    public static async Task<VerityHashTree> FormatAsync(BuildContext context, string stage, string dataImage, string hashImage, string digest)
    {
        var length = new FileInfo(dataImage).Length;
        if (length % BlockSize != 0)
            throw new Tools.BuildStepException(stage, "veritysetup", $"the root image is {length} bytes, not whole {BlockSize}-byte blocks; dm-verity cannot cover its tail", "");
        var salt = Convert.ToHexStringLower(DigestBuilder.DeriveGuid(digest, "verity-salt-1").ToByteArray()) + Convert.ToHexStringLower(DigestBuilder.DeriveGuid(digest, "verity-salt-2").ToByteArray());
        var uuid = DigestBuilder.DeriveGuid(digest, "verity-superblock");
        var output = await context.Tools.RunAsync(stage, "veritysetup",
            ["format", "--hash=sha256", $"--data-block-size={BlockSize}", $"--hash-block-size={BlockSize}", $"--salt={salt}", $"--uuid={uuid:D}", dataImage, hashImage],
            context.CancellationToken, context.ReproducibleEnvironment());
        var match = RootHashLine().Match(output);
        return match.Success
            ? new VerityHashTree(match.Groups[1].Value, uuid)
            : throw new Tools.BuildStepException(stage, "veritysetup format", "veritysetup printed no root hash", output);
    }

    [GeneratedRegex(@"^Root hash:\s+([0-9a-f]{64})\s*$", RegexOptions.Multiline)]
    private static partial Regex RootHashLine();
}
