using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.GuestChannel;

/// <summary>
/// Finds the validation channel's virtio-serial port by its name, as the kernel lists it under
/// <c>/sys/class/virtio-ports</c> (busybox images have no udev to make <c>/dev/virtio-ports</c> links).
/// Only the validation harness's QEMU has such a port: a physical machine has no virtio-serial
/// device at all.
/// </summary>
public static class ValidationPort
{
    /// <returns>the character device (<c>/dev/vportNpM</c>), or null when this machine has no such port</returns>
    public static string? Find(string sysRoot = "/sys", string devRoot = "/dev")
    {
        var ports = Path.Combine(sysRoot, "class", "virtio-ports");
        if (!Directory.Exists(ports))
            return null;
        foreach (var port in Directory.EnumerateFileSystemEntries(ports).Order(StringComparer.Ordinal))
        {
            string name;
            try
            {
                name = File.ReadAllText(Path.Combine(port, "name")).Trim();
            }
            catch (IOException)
            {
                continue;
            }

            if (name == GuestChannelProtocol.PortName)
                return Path.Combine(devRoot, Path.GetFileName(port));
        }

        return null;
    }
}
