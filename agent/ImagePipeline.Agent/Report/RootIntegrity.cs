using System.Diagnostics;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.Report;

/// <summary>
/// Whether this boot's root is protected by dm-verity, and whether every block of it still
/// matches: an image built with <c>verity: true</c> boots with <c>imagepipeline.verity=ROOTHASH</c>
/// on its command line and its root on <see cref="DefaultDevice"/>. dm-verity checks a block only
/// when it is read, so a corrupted block that boot never touched would stay hidden: the check
/// reads the whole device once, through dm-verity, before the machine may be called healthy. A
/// block whose hash does not match fails that read (EIO; the kernel logs the block), and the
/// check fails with the offset and the kernel's own line.
/// </summary>
public static class RootIntegrity
{
    public const string CommandLineArgument = "imagepipeline.verity";
    public const string DefaultDevice = "/dev/mapper/imagepipeline-root";
    public const string CheckName = "root integrity (dm-verity)";
    private const int ChunkBytes = 1 << 20;
    private const int BlockBytes = 4096;

    /// <summary>True when the kernel command line asks for a verity root.</summary>
    public static bool Expected(string commandLine) =>
        commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Any(a => a.StartsWith(CommandLineArgument + "=", StringComparison.Ordinal));

    /// <summary>Reads every byte of <paramref name="device"/>; a read the kernel refuses fails the check.</summary>
    public static async Task<HealthCheckResult> VerifyAsync(string device, Func<CancellationToken, Task<string?>> kernelLog, CancellationToken cancellationToken)
    {
        if (!File.Exists(device))
            return new HealthCheckResult(CheckName, false, $"the command line asks for a dm-verity root but {device} does not exist: the root is not verity-protected");
        var watch = Stopwatch.StartNew();
        long offset = 0;
        try
        {
            using var handle = File.OpenHandle(device, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var buffer = new byte[ChunkBytes];
            while (true)
            {
                var read = await RandomAccess.ReadAsync(handle, buffer, offset, cancellationToken);
                if (read == 0)
                    break;
                offset += read;
            }
        }
        catch (IOException e)
        {
            var block = FirstUnreadableBlock(device, offset);
            var kernel = await kernelLog(cancellationToken);
            return new HealthCheckResult(CheckName, false,
                $"dm-verity refused block {block} of the root (byte {block * BlockBytes}): {e.Message}{(kernel is null ? "" : $"; kernel: {kernel}")}");
        }

        return new HealthCheckResult(CheckName, true, $"every block verified: {offset >> 20} MiB in {watch.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>The first 4 KiB block of the chunk at <paramref name="chunkStart"/> that cannot be read.</summary>
    private static long FirstUnreadableBlock(string device, long chunkStart)
    {
        using var handle = File.OpenHandle(device, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var block = new byte[BlockBytes];
        for (var offset = chunkStart; offset < chunkStart + ChunkBytes; offset += BlockBytes)
        {
            try
            {
                if (RandomAccess.Read(handle, block, offset) == 0)
                    break;
            }
            catch (IOException)
            {
                return offset / BlockBytes;
            }
        }

        return chunkStart / BlockBytes;
    }

    /// <summary>The kernel's last dm-verity message (dmesg), or null when there is none to read.</summary>
    public static async Task<string?> LastVerityMessageAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var dmesg = Process.Start(new ProcessStartInfo("dmesg") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = await dmesg.StandardOutput.ReadToEndAsync(cancellationToken);
            await dmesg.WaitForExitAsync(cancellationToken);
            return output.Split('\n').LastOrDefault(l => l.Contains("verity", StringComparison.Ordinal) && l.Contains("corrupted", StringComparison.Ordinal))?.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
