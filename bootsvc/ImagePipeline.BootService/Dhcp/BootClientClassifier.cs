using System.Text;

namespace ImagePipeline.BootService.Dhcp;

/// <summary>
/// Decides what a DHCP client is from options 60, 77, 93 and 175. iPXE is recognised first: it
/// also sends "PXEClient" in option 60, and answering it with the iPXE binary again would chain-load
/// iPXE forever.
/// </summary>
public static class BootClientClassifier
{
    public static BootClient Classify(DhcpMessage request)
    {
        var options = request.Options;
        var vendorClass = options.GetText(DhcpOptionCode.VendorClassIdentifier);
        ClientArchitecture? architecture = options.GetUInt16(DhcpOptionCode.ClientArchitecture) is { } arch ? (ClientArchitecture)arch : null;
        var uefi = architecture is not (null or ClientArchitecture.BiosX86);
        if (IsIpxe(options))
            return new BootClient(BootClientKind.Ipxe, architecture, vendorClass, uefi);

        var pxe = vendorClass?.StartsWith("PXEClient", StringComparison.Ordinal) == true;
        var http = vendorClass?.StartsWith("HTTPClient", StringComparison.Ordinal) == true;
        if (!pxe && !http)
            return new BootClient(BootClientKind.None, architecture, vendorClass, uefi);

        // Option 93 is mandatory for PXE clients (RFC 4578 §2.1); a PXE 2.1 ROM without it is a BIOS ROM.
        var kind = architecture switch
        {
            null or ClientArchitecture.BiosX86 when pxe => BootClientKind.BiosPxe,
            ClientArchitecture.EfiBc or ClientArchitecture.EfiX64 when pxe => BootClientKind.UefiPxe,
            ClientArchitecture.EfiX64Http or ClientArchitecture.EfiBc or ClientArchitecture.EfiX64 when http => BootClientKind.UefiHttp,
            _ => BootClientKind.Unsupported,
        };
        return new BootClient(kind, architecture, vendorClass, uefi);
    }

    /// <summary>iPXE sends user class "iPXE" (option 77, RFC 3004 framing or raw) and always its option 175.</summary>
    private static bool IsIpxe(DhcpOptions options)
    {
        if (options.Contains(DhcpOptionCode.IpxeEncapsulated))
            return true;
        var userClass = options.Get(DhcpOptionCode.UserClass);
        return userClass is not null && Encoding.ASCII.GetString(userClass).Contains("iPXE", StringComparison.Ordinal);
    }
}
