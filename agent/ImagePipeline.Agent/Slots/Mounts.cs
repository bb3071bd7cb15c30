using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ImagePipeline.Agent.Slots;

/// <summary>
/// Mounting a partition for the in-place update, with the system's <c>mount</c> (busybox's or
/// util-linux's: the image has one or the other), under <c>/run/imagepipeline</c>; disposing
/// unmounts. The reboot the update ends with, from inside a running system: its init's.
/// </summary>
public static partial class Mounts
{
    private const string Base = "/run/imagepipeline";

    /// <summary>Mounts <paramref name="device"/> at /run/imagepipeline/NAME (read-only unless <paramref name="writable"/>).</summary>
    public static async Task<Mounted> MountAsync(string device, string name, bool writable, string? fileSystem, CancellationToken cancellationToken)
    {
        var point = Path.Combine(Base, name);
        Directory.CreateDirectory(point);
        List<string> arguments = ["-o", writable ? "rw" : "ro"];
        if (fileSystem is not null)
            arguments.AddRange(["-t", fileSystem]);
        arguments.AddRange([device, point]);
        var (code, output) = await RunAsync("mount", arguments, cancellationToken);
        if (code != 0)
            throw new IOException($"mount {string.Join(' ', arguments)} failed ({code}): {output.Trim()}");
        return new Mounted(point);
    }

    /// <summary>The partition's device node: <c>/dev/vda3</c>, <c>/dev/nvme0n1p3</c>, found through sysfs.</summary>
    public static string PartitionDevice(string disk, int number)
    {
        var name = Path.GetFileName(disk);
        foreach (var directory in Directory.EnumerateDirectories($"/sys/class/block/{name}"))
        {
            var partition = Path.Combine(directory, "partition");
            if (File.Exists(partition) && File.ReadAllText(partition).Trim() == number.ToString(System.Globalization.CultureInfo.InvariantCulture))
                return "/dev/" + Path.GetFileName(directory);
        }

        throw new IOException($"{disk} has no partition {number} in /sys/class/block; was the partition table re-read?");
    }

    /// <summary>Asks the system's init to reboot (systemd or busybox), as a person at the console would.</summary>
    public static async Task RebootAsync(CancellationToken cancellationToken)
    {
        Sync();
        var (code, output) = Directory.Exists("/run/systemd/system")
            ? await RunAsync("systemctl", ["reboot"], cancellationToken)
            : await RunAsync("reboot", [], cancellationToken);
        if (code != 0)
            throw new IOException($"the reboot was refused ({code}): {output.Trim()}");
    }

    public static void Sync() => sync();

    private static async Task<(int Code, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (!start.Environment.TryGetValue("PATH", out var path) || string.IsNullOrEmpty(path))
            start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        using var process = Process.Start(start) ?? throw new IOException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output + await error);
    }

    public sealed class Mounted(string point) : IDisposable
    {
        public string Point => point;

        public void Dispose()
        {
            Sync();
            var code = umount(point);
            if (code != 0)
                Console.WriteLine($"imagepipeline-agent: could not unmount {point} (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    [LibraryImport("libc")]
    private static partial void sync();

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int umount(string target);
}
