using System.Diagnostics;

namespace ImagePipeline.Tests.Shared;

/// <summary>QEMU processes on this host whose VM directory (imagepipe-vm-OWNER-...) names a given owner process: what a killed owner may leave.</summary>
internal static class QemuProcesses
{
    public static List<int> Of(int owner) =>
        [.. Process.GetProcessesByName("qemu-system-x86_64").Where(p =>
        {
            try
            {
                return File.ReadAllText($"/proc/{p.Id}/cmdline").Contains($"imagepipe-vm-{owner}-", StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        }).Select(p => p.Id)];
}
