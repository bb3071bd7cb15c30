namespace ImagePipeline.Validation.Machines;

public enum Firmware
{
    /// <summary>Legacy BIOS (SeaBIOS, QEMU's default).</summary>
    Bios,
    /// <summary>UEFI (OVMF) with a private copy of the variable store per VM.</summary>
    Uefi,
}
