using System.Text.RegularExpressions;
using ImagePipeline.Validation.Machines;
using ImagePipeline.Validation.Qemu;
using ImagePipeline.Validation.Tests.Support;

namespace ImagePipeline.Validation.Tests.Qemu;

/// <summary>
/// One tiny guest on bios-virtio, booted to its login prompt once for the tests that only ask a
/// running machine something (commands, a port, a screenshot): a TCG boot each would be three
/// boots of the same disk. Guest port 8080 is forwarded; nothing listens on it until a test starts a server.
/// </summary>
public sealed class RunningTinyVm : IAsyncLifetime
{
    public const int ForwardedPort = 8080;
    private QemuVm? vm;

    public QemuVm Vm => vm ?? throw new InvalidOperationException("the guest has not started");

    public async ValueTask InitializeAsync()
    {
        vm = await QemuVm.StartAsync(QemuMachine.Create("bios-virtio"), await TestImages.TinyAsync(TestContext.Current.CancellationToken), [ForwardedPort], cancellationToken: TestContext.Current.CancellationToken);
        await vm.WaitForConsoleTextAsync(new Regex("login: "), cancellationToken: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (vm is not null)
            await vm.DisposeAsync();
    }
}
