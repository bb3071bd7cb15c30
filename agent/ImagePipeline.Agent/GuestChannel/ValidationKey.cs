using System.Diagnostics;
using ImagePipeline.Agent.Protocol;

namespace ImagePipeline.Agent.GuestChannel;

/// <summary>
/// This boot's validation key, which the harness's QEMU puts in the firmware configuration
/// (<c>-fw_cfg name=opt/org.imagepipeline/validation-key,file=…</c>) and Linux shows under
/// <c>/sys/firmware/qemu_fw_cfg</c> (module qemu_fw_cfg, loaded here when udev has not yet).
/// Only root can read it. New for every VM the harness starts, so nothing learnt on one run
/// opens another.
/// </summary>
public static class ValidationKey
{
    public const string FirmwareDirectory = "/sys/firmware/qemu_fw_cfg";

    private static readonly string KeyPath = Path.Combine(FirmwareDirectory, "by_name", GuestChannelProtocol.KeyFirmwareName, "raw");

    /// <returns>the key, or null when the firmware has none (not started by the validation harness)</returns>
    public static string? Read()
    {
        if (!Directory.Exists(FirmwareDirectory))
            LoadModule();
        try
        {
            var key = File.ReadAllText(KeyPath).Trim();
            return key.Length >= 32 ? key : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void LoadModule()
    {
        try
        {
            using var modprobe = Process.Start(new ProcessStartInfo("modprobe", ["-q", "qemu_fw_cfg"]) { RedirectStandardError = true });
            modprobe?.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No modprobe (or no module): the key is simply absent.
        }
    }
}
