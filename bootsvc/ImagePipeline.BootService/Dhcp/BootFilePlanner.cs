using ImagePipeline.BootService.Network;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>
/// Puts the boot file into a reply. Every network-boot path ends in iPXE fetching its machine's
/// script over HTTP: BIOS PXE and UEFI PXE first chain-load an iPXE binary over TFTP, UEFI HTTP
/// boot fetches the EFI one over HTTP, and iPXE (recognised by option 175/77) gets the script URL.
/// The iPXE binaries are Debian's (package ipxe), served from /usr/lib/ipxe.
/// </summary>
public sealed class BootFilePlanner(BootEndpoints endpoints)
{
    /// <summary>iPXE for BIOS PXE ROMs: uses the ROM's UNDI driver, so it works on any NIC that PXE-boots.</summary>
    public const string BiosIpxe = "undionly.kpxe";

    /// <summary>iPXE for UEFI: uses the firmware's SNP driver, so it works on any NIC the firmware drives.</summary>
    public const string UefiIpxe = "snponly.efi";

    /// <summary>iPXE's encapsulated option (inside 175) telling it to skip waiting for ProxyDHCP offers.</summary>
    private const byte IpxeNoPxeDhcp = 176;

    public BootEndpoints Endpoints => endpoints;

    /// <param name="proxy">a proxyDHCP answer: it must say PXEClient and carry PXE discovery control (PXE 2.1 §2.2.5)</param>
    /// <returns>false when the client gets no boot file (not booting from the network, or an architecture without one)</returns>
    public bool Apply(DhcpMessage request, BootClient client, DhcpMessage reply, bool proxy)
    {
        var mac = MacAddress.Format(request.ClientMac);
        string file;
        switch (client.Kind)
        {
            case BootClientKind.BiosPxe:
                file = BiosIpxe;
                break;
            case BootClientKind.UefiPxe:
                file = UefiIpxe;
                break;
            case BootClientKind.UefiHttp:
                file = endpoints.FileUrl(UefiIpxe);
                // UEFI 2.x §24.7.2: an HTTP boot offer must itself say HTTPClient.
                reply.Options.SetText(DhcpOptionCode.VendorClassIdentifier, "HTTPClient");
                break;
            case BootClientKind.Ipxe:
                file = endpoints.ScriptUrl(mac, client.Architecture is null ? null : client.IsUefi ? "uefi" : "bios");
                break;
            default:
                return false;
        }

        reply.NextServerAddress = endpoints.ServerAddress;
        reply.BootFile = file.Length < 128 ? file : "";
        reply.Options.SetText(DhcpOptionCode.BootFileName, file);
        if (client.Kind is BootClientKind.BiosPxe or BootClientKind.UefiPxe)
            reply.Options.SetText(DhcpOptionCode.TftpServerName, endpoints.ServerAddress.ToString());
        if (proxy && client.Kind is not BootClientKind.UefiHttp)
        {
            reply.Options.SetText(DhcpOptionCode.VendorClassIdentifier, "PXEClient");
            // PXE_DISCOVERY_CONTROL (tag 6) = 8: no boot server discovery, download the file named here.
            reply.Options.Set(DhcpOptionCode.VendorSpecific, [6, 1, 8, 255]);
        }

        if (!proxy && client.Kind is BootClientKind.Ipxe)
        {
            // iPXE's "no-pxedhcp" (encapsulated option 176 = 1): this server gave the address and the
            // boot file, so iPXE need not wait for a ProxyDHCP offer before it requests the address.
            // Without it iPXE holds the offer ~2 s (its ProxyDHCP wait), busy-polling the NIC, on every netboot.
            reply.Options.Set(DhcpOptionCode.IpxeEncapsulated, [IpxeNoPxeDhcp, 1, 1]);
        }

        if (request.Options.Get(DhcpOptionCode.ClientMachineId) is { } uuid)
            reply.Options.Set(DhcpOptionCode.ClientMachineId, uuid);
        return true;
    }
}
