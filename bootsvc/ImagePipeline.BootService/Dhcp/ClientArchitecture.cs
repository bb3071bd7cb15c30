namespace ImagePipeline.BootService.Dhcp;

/// <summary>Option 93 values (RFC 4578 §2.1 and the IANA processor-architecture registry).</summary>
public enum ClientArchitecture : ushort
{
    BiosX86 = 0,
    EfiIa32 = 6,
    /// <summary>EFI byte code; in practice what x86-64 UEFI firmware (OVMF, most vendors) sends.</summary>
    EfiBc = 7,
    EfiX64 = 9,
    EfiArm32 = 10,
    EfiArm64 = 11,
    EfiX86Http = 15,
    EfiX64Http = 16,
    EfiArm64Http = 19,
}
