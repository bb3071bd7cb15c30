namespace ImagePipeline.BootService.Dhcp;

/// <summary>The classification of one request: how the client boots and what it said about itself.</summary>
/// <param name="Kind">what boot file it gets</param>
/// <param name="Architecture">option 93, when sent</param>
/// <param name="VendorClass">option 60 as sent, for logs</param>
/// <param name="IsUefi">UEFI firmware (or iPXE built for it), from option 93</param>
public sealed record BootClient(BootClientKind Kind, ClientArchitecture? Architecture, string? VendorClass, bool IsUefi)
{
    public bool IsNetworkBoot => Kind is not BootClientKind.None;
}
