using System.Security.Cryptography;
using ImagePipeline.Agent.Disks;
using ImagePipeline.Agent.Signing;

namespace ImagePipeline.Agent.Writing;

/// <summary>
/// The rules every way of writing an image keeps (the whole stream, <see cref="ImageWriter"/>, or
/// a delta, <see cref="Delta.DeltaWriter"/>): what is refused before a byte moves (the request,
/// the disk, the signature), the deployer's edits of the first MiB, and reading back what was written.
/// </summary>
internal static class WriteGuards
{
    private const int ReadBackBytes = 4 << 20;

    public static void Check(WriteRequest request, IBlockDevice target)
    {
        if (request.Encoding is not ("zstd" or "raw"))
            throw new DeployRefusedException($"image encoding '{request.Encoding}' is not supported; the boot service serves zstd or raw");
        if (request.SizeBytes <= 0)
            throw new DeployRefusedException($"image size {request.SizeBytes} is not a size");
        if (request.SizeBytes > target.Length)
            throw new DeployRefusedException($"the image is {request.SizeBytes} bytes but {target.Path} holds {target.Length}; choose a larger disk");
        if (request.Sha256.Length != 64 || !request.Sha256.All(char.IsAsciiHexDigitLower))
            throw new DeployRefusedException($"'{request.Sha256}' is not a lower-case hex SHA-256");
    }

    public static void CheckSignature(WriteRequest request, WriteOptions options)
    {
        if (request.Signature is null)
        {
            if (!options.AllowUnsigned)
                throw new DeployRefusedException("the image is unsigned; only promoted (signed) images are written here");
            return;
        }

        if (options.TrustedPublicKeyPem is null)
        {
            // An environment that writes unsigned images writes a signed one it has no key for the same way: unchecked.
            if (options.AllowUnsigned)
                return;
            throw new DeployRefusedException("the image is signed but this deploy environment has no trusted key to check it; rebuild it with --trust-key");
        }

        bool verified;
        try
        {
            verified = ImageSignature.Verify(request.Sha256, request.Signature, options.TrustedPublicKeyPem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new DeployRefusedException($"this deploy environment's trusted key cannot be read ({e.Message}); rebuild it with --trust-key and the server's public key");
        }

        if (!verified)
            throw new DeployRefusedException("the image's signature does not verify with the trusted key");
    }

    /// <summary>
    /// The last step of every write, once the body is on the disk and checked: only now does the
    /// disk become bootable. All else is durable first (the image's body, read back against the
    /// signed hash with the head as the image has it when asked; then what the deployer adds),
    /// then the held first MiB is written.
    /// </summary>
    public static void MakeBootable(WriteRequest request, IBlockDevice target, byte[] head, HeadFinisher? finish, WriteOptions options)
    {
        target.Flush();
        if (options.VerifyAfterWrite)
            VerifyReadBack(request, target, head);
        Finish(finish, head, target);
        target.Write(0, head);
        target.Flush();
        if (options.VerifyAfterWrite)
            VerifyHead(target, head);
    }

    private static void Finish(HeadFinisher? finish, byte[] head, IBlockDevice target)
    {
        if (finish is null)
            return;
        try
        {
            finish(head, target);
            target.Flush();
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException)
        {
            throw new DeployRefusedException($"the image was written and verified, but could not be made ready to boot: {e.Message}", e);
        }
    }

    /// <summary>The image's body as the disk reads it back, with its first MiB as the image has it (still in memory), hashes to the signed digest.</summary>
    private static void VerifyReadBack(WriteRequest request, IBlockDevice target, byte[] head)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(head);
        var buffer = new byte[ReadBackBytes];
        for (long offset = head.Length; offset < request.SizeBytes;)
        {
            var read = target.Read(offset, buffer.AsSpan(0, (int)Math.Min(buffer.Length, request.SizeBytes - offset)));
            if (read <= 0)
                throw new DeployRefusedException($"reading {target.Path} back stopped at byte {offset}");
            hash.AppendData(buffer.AsSpan(0, read));
            offset += read;
        }

        var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (digest != request.Sha256)
            throw new DeployRefusedException($"{target.Path} reads back with SHA-256 {digest}, not {request.Sha256}: the disk does not keep what is written to it");
    }

    /// <summary>The first MiB, written last, reads back as it was written.</summary>
    private static void VerifyHead(IBlockDevice target, byte[] head)
    {
        var back = new byte[head.Length];
        if (target.Read(0, back) != back.Length || !back.AsSpan().SequenceEqual(head))
            throw new DeployRefusedException($"{target.Path} does not read back its first {head.Length >> 10} KiB as written: the disk does not keep what is written to it");
    }

}
