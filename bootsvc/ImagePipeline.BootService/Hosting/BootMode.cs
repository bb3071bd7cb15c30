namespace ImagePipeline.BootService.Hosting;

/// <summary>How the DHCP server takes part on the boot network.</summary>
public enum BootMode
{
    /// <summary>Owns the network's addresses (the lab, a provisioning VLAN).</summary>
    Full,
    /// <summary>proxyDHCP beside the network's own DHCP server: boot files only, no addresses.</summary>
    Proxy,
    /// <summary>No DHCP and no TFTP: HTTP only (machines chain-loaded by someone else's DHCP).</summary>
    HttpOnly,
}
