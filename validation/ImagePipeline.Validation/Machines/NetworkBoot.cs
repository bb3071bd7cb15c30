namespace ImagePipeline.Validation.Machines;

/// <summary>Whether and how a machine boots from its NIC before its disk.</summary>
public enum NetworkBoot
{
    /// <summary>Disk only: the NIC's option ROM is left out of the boot order.</summary>
    None,
    /// <summary>The NIC's option ROM (QEMU ships iPXE ROMs, BIOS and UEFI), first in the boot order.</summary>
    IpxeRom,
    /// <summary>UEFI only: the firmware's own PXE client (no NIC ROM), which fetches an EFI file over TFTP.</summary>
    FirmwarePxe,
    /// <summary>UEFI only: the firmware's HTTP boot, with its PXE client switched off.</summary>
    FirmwareHttp,
}
