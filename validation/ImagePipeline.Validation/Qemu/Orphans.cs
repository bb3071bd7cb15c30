using System.Diagnostics;

namespace ImagePipeline.Validation.Qemu;

/// <summary>
/// QEMU processes and VM directories whose owner died without cleaning up (kill -9, a crash).
/// A VM directory is named <c>imagepipe-vm-OWNERPID-...</c> and QEMU's command line names it, so
/// both are found by the dead owner's process id.
/// </summary>
public static class Orphans
{
    public const string Prefix = "imagepipe-vm-";

    public static void Reap()
    {
        var temp = Path.GetTempPath();
        foreach (var directory in Directory.EnumerateDirectories(temp, Prefix + "*"))
        {
            var owner = Path.GetFileName(directory)[Prefix.Length..].Split('-')[0];
            if (!int.TryParse(owner, out var pid) || Directory.Exists($"/proc/{pid}"))
                continue;
            KillQemuUsing(directory);
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void KillQemuUsing(string directory)
    {
        foreach (var process in Process.GetProcessesByName("qemu-system-x86_64"))
        {
            try
            {
                if (File.ReadAllText($"/proc/{process.Id}/cmdline").Contains(directory + "/", StringComparison.Ordinal))
                    process.Kill();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
            }
            finally
            {
                process.Dispose();
            }
        }
    }
}
