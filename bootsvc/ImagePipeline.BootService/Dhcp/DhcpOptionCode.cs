namespace ImagePipeline.BootService.Dhcp;

/// <summary>DHCP option codes this service reads or writes (RFC 2132 unless noted).</summary>
public enum DhcpOptionCode : byte
{
    Pad = 0,
    SubnetMask = 1,
    Router = 3,
    DomainNameServer = 6,
    HostName = 12,
    DomainName = 15,
    BroadcastAddress = 28,
    /// <summary>Vendor-specific information; PXE puts its discovery control here (PXE 2.1 §2.4).</summary>
    VendorSpecific = 43,
    RequestedIpAddress = 50,
    LeaseTime = 51,
    /// <summary>The sname and/or file fields carry options too (RFC 2131 §4.1).</summary>
    OptionOverload = 52,
    MessageType = 53,
    ServerIdentifier = 54,
    ParameterRequestList = 55,
    Message = 56,
    MaximumMessageSize = 57,
    RenewalTime = 58,
    RebindingTime = 59,
    /// <summary>"PXEClient:Arch:00007:UNDI:003016", "HTTPClient:Arch:00016:...".</summary>
    VendorClassIdentifier = 60,
    ClientIdentifier = 61,
    TftpServerName = 66,
    BootFileName = 67,
    /// <summary>RFC 3004; iPXE sends "iPXE".</summary>
    UserClass = 77,
    /// <summary>RFC 4578: client system architecture type.</summary>
    ClientArchitecture = 93,
    /// <summary>RFC 4578: client network device interface (UNDI version).</summary>
    ClientNetworkInterface = 94,
    /// <summary>RFC 4578: client machine UUID; a proxyDHCP answer must echo it (PXE 2.1).</summary>
    ClientMachineId = 97,
    /// <summary>iPXE's encapsulated options: present only when the client is iPXE.</summary>
    IpxeEncapsulated = 175,
    End = 255,
}
