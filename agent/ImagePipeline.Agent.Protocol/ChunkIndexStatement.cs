using System.Security.Cryptography;
using System.Text;

namespace ImagePipeline.Agent.Protocol;

/// <summary>
/// What a promotion signs for an image's chunk index: the SHA-256 of a line that names it as an
/// index, not the index's bare digest, so a signature made for an index can never stand for a
/// real disk image (a disk's signature is over the disk's own digest; this one's only "disk" would
/// be that one ASCII line), and a disk's signature never for an index. Signed
/// with the same key as the image, it lets a delta write trust each chunk's name as far as it
/// trusts the whole image.
/// </summary>
public static class ChunkIndexStatement
{
    public static byte[] Digest(string indexSha256) =>
        SHA256.HashData(Encoding.ASCII.GetBytes($"imagepipeline chunk index sha256:{indexSha256}\n"));
}
