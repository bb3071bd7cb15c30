namespace ImagePipeline.BootService.Dhcp;

/// <summary>What kind of network boot a DHCP client is attempting, which decides its boot file.</summary>
public enum BootClientKind
{
    /// <summary>Not a network-boot client (an OS renewing its lease): addresses only.</summary>
    None,
    /// <summary>A BIOS PXE ROM: gets iPXE's undionly.kpxe over TFTP.</summary>
    BiosPxe,
    /// <summary>UEFI PXE (firmware's own PXE): gets iPXE's EFI binary over TFTP.</summary>
    UefiPxe,
    /// <summary>UEFI HTTP boot: gets iPXE's EFI binary as an HTTP URL.</summary>
    UefiHttp,
    /// <summary>iPXE itself, chain-loaded or from a NIC ROM: gets the HTTP URL of its machine's script.</summary>
    Ipxe,
    /// <summary>A PXE client for an architecture this service has no boot file for (ARM): counted, not answered with a file.</summary>
    Unsupported,
}
