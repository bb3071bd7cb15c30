namespace ImagePipeline.Validation.Machines;

/// <summary>How a machine's NIC is connected.</summary>
public abstract record NetworkAttachment
{
    /// <summary>QEMU user-mode networking: outbound only, guest ports reached through host forwards. The disk-boot default.</summary>
    public static NetworkAttachment User { get; } = new UserNetwork();

    /// <summary>A tap device on a private bridge inside a network namespace (see <c>Networks.VirtualNetwork</c>); QEMU runs inside that namespace.</summary>
    public static NetworkAttachment Tap(string networkNamespace, string tap) => new TapNetwork(networkNamespace, tap);

    public sealed record UserNetwork : NetworkAttachment;

    public sealed record TapNetwork(string Namespace, string Device) : NetworkAttachment;
}
