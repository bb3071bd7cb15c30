using ImagePipeline.Validation.Qemu;

namespace ImagePipeline.Validation.Checks;

/// <summary>Recipe check <c>tcp: PORT</c>: the guest accepts connections on the port (through a user-mode network host forward).</summary>
public sealed record TcpCheck(int Port, TimeSpan Timeout) : ValidationCheck($"tcp {Port}", Timeout)
{
    public override IEnumerable<int> GuestPorts => [Port];

    public override Task RunAsync(QemuVm vm, CheckContext context, CancellationToken cancellationToken) =>
        vm.WaitForOpenPortAsync(Port, Timeout, cancellationToken);
}
