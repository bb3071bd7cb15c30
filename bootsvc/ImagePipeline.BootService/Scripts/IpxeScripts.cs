using System.Text;
using ImagePipeline.Agent.Protocol;
using ImagePipeline.BootService.Dhcp;

namespace ImagePipeline.BootService.Scripts;

/// <summary>
/// The iPXE scripts a machine can get. iPXE 1.0.0+git-20190125 (Debian's) is the oldest reader
/// they must suit. Every text that comes from elsewhere (an agent's failure reason, an image id,
/// a MAC) goes in through <see cref="Printable"/>: a newline would end the echo and start a
/// command, a <c>${...}</c> would be expanded.
/// </summary>
public static class IpxeScripts
{
    private const int MaxText = 300;

    /// <summary>The text as one harmless echo argument: letters, digits and plain punctuation; anything else becomes '?'; at most 300 characters.</summary>
    public static string Printable(string text)
    {
        var chars = text.Take(MaxText).Select(c => char.IsAsciiLetterOrDigit(c) || " .,:;/()_+=@%'-".Contains(c, StringComparison.Ordinal) ? c : '?').ToArray();
        return new string(chars) + (text.Length > MaxText ? "..." : "");
    }

    /// <summary>Deploy environment files, relative to the boot file root.</summary>
    public const string DeployKernel = "deploy/vmlinuz";
    public const string DeployInitrd = "deploy/initrd.img";

    /// <summary>
    /// Boots the deploy environment with this machine's token on the kernel command line. The
    /// kernel line names the initrd (initrd=initrd.img): under UEFI this old iPXE passes an
    /// initrd to Linux only when the command line names it.
    /// </summary>
    public static string Deploy(BootEndpoints endpoints, string mac, string token, string purpose, string extraKernelArguments)
    {
        var initrdName = Path.GetFileName(DeployInitrd);
        var arguments = new StringBuilder()
            .Append($"initrd={initrdName} console=tty0 console=ttyS0,115200n8 ")
            .Append($"{AgentRoutes.KernelParameters.Server}={endpoints.HttpBase} ")
            .Append($"{AgentRoutes.KernelParameters.Token}={token} ")
            .Append($"{AgentRoutes.KernelParameters.Mac}={mac}");
        if (!string.IsNullOrWhiteSpace(extraKernelArguments))
            arguments.Append(' ').Append(extraKernelArguments.Trim());
        return $"""
            #!ipxe
            echo ImagePipeline: {Printable(purpose)}
            kernel {endpoints.FileUrl(DeployKernel)} {arguments}
            initrd {endpoints.FileUrl(DeployInitrd)}
            boot

            """;
    }

    /// <summary>
    /// Boots the local disk. BIOS: sanboot the first hard disk. UEFI: exit with an error status,
    /// so the firmware tries the next boot option (the disk); exit 0 would open the boot manager
    /// menu instead (EDK2 BdsDxe). No reinstall happens from here, whatever the disk holds.
    /// </summary>
    public static string LocalDisk(string reason) => $$"""
        #!ipxe
        echo ImagePipeline: {{Printable(reason)}}
        iseq ${platform} efi && goto efi ||
        sanboot --no-describe --drive 0x80 || goto fallback
        :efi
        exit 1
        :fallback
        echo ImagePipeline: sanboot failed, returning to the firmware
        exit 1

        """;

    /// <summary>Stops a machine that must not deploy again by itself (too many failed attempts): it waits, then reboots.</summary>
    public static string Hold(string reason) => $"""
        #!ipxe
        echo ImagePipeline: {Printable(reason)}
        echo ImagePipeline: holding; fix the cause and set the desired image again
        sleep 300
        reboot

        """;

    /// <summary>For a requester that is not the machine: no token, no deploy; the script only says why (a real machine that got it boots its disk).</summary>
    public static string Refused(string reason) => LocalDisk($"refused: {reason}");
}
